"""The nginx servers the edge benchmark compares, each on its own port and prefix folder.

The generated ones come from herdcache's own generator, through ``settings_options`` as
``manage.py herdcache nginx`` does (so nginx and Django agree on types, key header, gzip flag).
The baselines (a static file, plain ``proxy_cache``) reuse the generated config's main and http
settings (``nginx_blocks.MAIN``/``HTTP_SETTINGS``: access log, sendfile, keepalive), so only the
location differs. Variants (``edits``) change the generated text for one experiment each.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

from tests.fixtures.servers import Server

from bench import servers
from bench.site.views import BODY

STATIC_PATH = "/page.html"
Edit = tuple[str, str]  # (text in the generated config, replacement); "{prefix}" is filled in

NO_ACCESS_LOG: Edit = ("access_log {prefix}/access.log;", "access_log off;")


def generated(
    name: str,
    *,
    upstream: str,
    local_ttl: int = 0,
    workers: int = 1,
    edits: Sequence[Edit] = (),
) -> AbstractContextManager[Server]:
    """nginx on herdcache's generated config (Django settings must be configured in-process)."""
    from herdcache.edge.nginx import render_config, settings_options

    def render(port: int, prefix: Path) -> str:
        options = settings_options(
            listen=f"127.0.0.1:{port}",
            upstream=upstream,
            prefix=str(prefix),
            local_ttl=local_ttl,
            worker_processes=workers,
        )
        return _edited(render_config(**options), prefix, edits)

    return servers.generated_nginx(name, render)


def static(
    name: str, *, workers: int = 1, edits: Sequence[Edit] = ()
) -> AbstractContextManager[Server]:
    """The baseline: nginx serving the same page as a file from disk (``root``)."""

    def config(port: int, prefix: Path) -> str:
        (prefix / "www").mkdir(exist_ok=True)
        (prefix / "www" / STATIC_PATH.lstrip("/")).write_text(BODY)
        location = f"location / {{\n    root {prefix}/www;\n}}"
        return _edited(_config(prefix, port, location, workers=workers), prefix, edits)

    return servers.nginx(name, config)


def proxy_cache(name: str, *, upstream: str) -> AbstractContextManager[Server]:
    """What users would otherwise pick: nginx ``proxy_cache`` in front of Django."""

    def config(port: int, prefix: Path) -> str:
        http = (
            f"proxy_cache_path {prefix}/cache levels=1:2 keys_zone=pages:10m max_size=1g\n"
            "                 inactive=10m use_temp_path=off;\n"
            f"upstream django {{\n    server {upstream};\n    keepalive 32;\n}}"
        )
        location = """location / {
            proxy_pass http://django;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_cache pages;
            proxy_cache_valid 200 10m;
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout;
            add_header X-Cache-Status $upstream_cache_status;
        }"""
        return _config(prefix, port, location, http=http)

    return servers.nginx(name, config)


def _config(prefix: Path, port: int, locations: str, *, http: str = "", workers: int = 1) -> str:
    from herdcache.edge import nginx_blocks as blocks
    from herdcache.edge.nginx import MIME_TYPES

    main = blocks.fill(blocks.MAIN, modules="", prefix=prefix, user="", workers=workers)
    mime = f"include {MIME_TYPES};" if os.path.exists(MIME_TYPES) else "types {}"
    settings = blocks.fill(blocks.HTTP_SETTINGS, mime=mime, prefix=prefix)
    server = f"server {{\n    listen 127.0.0.1:{port};\n\n{locations}\n}}"
    # Foreground: the server helpers stop nginx by its pid (run_nginx passes no "-g daemon off").
    return f"daemon off;\n{main}\n\nhttp {{\n{settings}\n\n{http}\n\n{server}\n}}\n"


def _edited(config: str, prefix: Path, edits: Sequence[Edit]) -> str:
    for old, new in edits:
        old = old.replace("{prefix}", str(prefix))
        if old not in config:  # the generator changed: the experiment would silently not run
            raise RuntimeError(f"nginx config has no {old!r} to edit:\n{config}")
        config = config.replace(old, new, 1)
    return config


@contextmanager
def running(starters: dict[str, AbstractContextManager[Server]]) -> Iterator[dict[str, Server]]:
    """Start every server in ``starters`` for the block (all are stopped on the way out)."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(start) for name, start in starters.items()}
