"""The generator's extension point (``EDGE_NGINX_EXTENSIONS``): an extension's modules, http
blocks and locations end up in the config, in the public server (the front server when there
is a local tier), and a real nginx serves them."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from herdcache.edge.nginx import NginxConfigError, NginxExtension, render_config
from tests.fixtures.nginx_generated import echo_upstream, fetch, nginx_check, run_generated
from tests.fixtures.servers import Server

seen_contexts: list[Mapping[str, Any]] = []


def extension(context: Mapping[str, Any]) -> NginxExtension:
    """A module, a map at http level and a location using both (importable by dotted path)."""
    seen_contexts.append(dict(context))
    return NginxExtension(
        modules=("ngx_http_cache_purge_module.so",),  # any module that is installed here
        http=('map $http_x_ext $ext_answer {\n    default "plain";\n    yes "mapped";\n}',),
        server=('location = /ext/ {\n    return 200 "ext $ext_answer";\n}',),
    )


def broken(context: Mapping[str, Any]) -> NginxExtension:
    raise NginxConfigError("extension says no")


def render(local_ttl: int = 0, **options: Any):
    def config(port: int, prefix: Path) -> str:
        return render_config(
            listen=f"127.0.0.1:{port}",
            upstream=options.pop("upstream", "127.0.0.1:9"),
            servers=["127.0.0.1:11211"],
            prefix=str(prefix),
            local_ttl=local_ttl,
            extensions=[extension],
            **options,
        )

    return config


@pytest.fixture(scope="module", params=[0, 5], ids=["edge", "local-tier"])
def nginx(request: pytest.FixtureRequest) -> Iterator[Server]:
    yield from run_generated(render(request.param))


def test_extension_locations_are_served_by_the_public_server(nginx: Server):
    assert fetch(nginx.port, "/ext/").body == b"ext plain"
    assert fetch(nginx.port, "/ext/", headers={"X-Ext": "yes"}).body == b"ext mapped"
    context = seen_contexts[-1]
    assert context["listen"] == f"127.0.0.1:{nginx.port}"
    assert context["django_upstream"] == "herdcache_django"


def test_everything_else_still_reaches_django():
    for upstream in echo_upstream():
        for server in run_generated(render(upstream=upstream.address)):
            reply = fetch(server.port, "/other/", headers={"Cookie": "sessionid=x"})
            assert reply.body.startswith(b"upstream GET /other/")


def test_module_is_loaded_once_and_listed_for_includes(tmp_path: Path):
    full = render(local_ttl=5)(8080, tmp_path)
    assert full.count("ngx_http_cache_purge_module.so;") == 1  # the local tier needs it too
    block = render_config(
        listen="127.0.0.1:8080",
        upstream="127.0.0.1:8000",
        servers=["127.0.0.1:11211"],
        server_block_only=True,
        extensions=[extension],
    )
    assert "#   load_module modules/ngx_http_cache_purge_module.so;" in block
    assert "location = /ext/" in block


def test_command_uses_the_setting(settings, tmp_path: Path):
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "EDGE_SERVERS": ["127.0.0.1:11211"],
        "EDGE_NGINX_EXTENSIONS": ["tests.herdcache.edge.test_nginx_extensions.extension"],
    }
    out = io.StringIO()
    call_command("herdcache", "nginx", "--prefix", str(tmp_path), stdout=out, stderr=io.StringIO())
    path = tmp_path / "nginx.conf"
    path.write_text(out.getvalue())
    assert "location = /ext/" in out.getvalue()
    checked = nginx_check(path, tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_extension_errors_become_command_errors(settings, tmp_path: Path):
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "EDGE_SERVERS": ["127.0.0.1:11211"],
        "EDGE_NGINX_EXTENSIONS": ["tests.herdcache.edge.test_nginx_extensions.broken"],
    }
    with pytest.raises(CommandError, match="extension says no"):
        call_command("herdcache", "nginx", "--prefix", str(tmp_path), stdout=io.StringIO())


def test_bad_module_name_is_refused():
    def sneaky(context: Mapping[str, Any]) -> NginxExtension:
        return NginxExtension(modules=("x.so; daemon on",))

    with pytest.raises(NginxConfigError, match="module"):
        render_config(
            listen="8080", upstream="127.0.0.1:8000", servers=["127.0.0.1:1"], extensions=[sneaky]
        )


@pytest.mark.parametrize(
    "value", [["no.such.module.extension"], ["herdcache.edge.nginx.DJANGO_UPSTREAM"], "x.y"]
)
def test_unusable_extensions_are_reported(settings, value):
    from herdcache.checks import check_settings

    settings.HERDCACHE = {**settings.HERDCACHE, "EDGE_NGINX_EXTENSIONS": value}
    assert [m.id for m in check_settings()] == ["herdcache.E011"]
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "EDGE_NGINX_EXTENSIONS": ["tests.herdcache.edge.test_nginx_extensions.extension"],
    }
    assert check_settings() == []
