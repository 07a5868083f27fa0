"""nginx config generator: cache hits straight from memcached, misses to Django (DESIGN §2).

``render_config`` is framework-free (plain arguments in, config text out); ``settings_options``
turns ``HERDCACHE`` and Django settings into those arguments. The output explains itself in
comments; the decisions that are easy to get wrong, each proven against a real nginx and
memcached by tests/herdcache/edge/test_nginx_config.py:

- The key is ``set_md5 $memcached_key "$host$request_uri"``, computed again in ``@django``: the
  value does survive the ``error_page`` internal redirect on nginx 1.22, but the header Django
  trusts should not hang on that. Every location that proxies to Django sets the key header
  (to the key, or to ``""``, which sends none), so a client's own header never gets through.
- Edge copies are gzip bytes whose memcached flags contain ``gzip_flag``: ``memcached_gzip_flag``
  adds ``Content-Encoding: gzip`` and ``gunzip on`` decompresses for clients without gzip.
- The optional local tier (``local_ttl > 0``) is a ``proxy_cache`` front server before the
  memcached tier (which then listens on a unix socket under ``prefix``). It caches edge hits only
  (a Django response's cacheability is Django's business), always fetches the gzip copy and
  gunzips itself (one cache file per URL, so ``Vary`` is ignored there), and evicts on
  ``PURGE /path`` from ``purge_allow``. It does not use ``proxy_cache_background_update``: once
  the edge copy is gone, that refresh only ever gets Django's (uncached) answer, so the stale
  copy would be served forever. ngx_cache_purge's "same location" form (``proxy_cache_purge
  PURGE from ...``) crashes Debian's 2.3 build on nginx 1.22 (worker exits on signal 11), so
  PURGE goes to a named location using the "separate location" form.
- Edge hits go out with ``Cache-Control: no-cache``: memcached gives nginx the body only, so
  nginx cannot know a copy's age, and any ``max-age`` it sent would call an old copy fresh (the
  local tier ignores that header for its own short TTL). ``cache_status`` adds RFC 9211
  ``Cache-Status`` entries (``herdcache-edge``, ``herdcache-local``) after Django's.
- Every file nginx writes lives under ``prefix``, so the config runs beside a system nginx, as
  root (workers run as ``user``, default nobody: nginx hands its temp and cache folders to them,
  and the prefix must be traversable) or as any other user.
- Extensions (``EDGE_NGINX_EXTENSIONS``: callables returning a ``NginxExtension``) add modules,
  http-level blocks and locations of the public server, so an app built on herdcache (e.g. a
  pub/sub module's locations) gets one config from this generator without herdcache knowing it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from herdcache.edge import nginx_blocks as blocks

DEFAULT_PREFIX = "/tmp/herdcache-nginx"
DEFAULT_TYPES = {"/": "text/html; charset=utf-8"}
MODULE_DIRS = ("/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/lib64/nginx/modules")
MIME_TYPES = "/etc/nginx/mime.types"
SOCKET_NAME = "herdcache-edge.sock"
BASE_MODULES = ("ndk_http_module.so", "ngx_http_set_misc_module.so")  # ndk first
PURGE_MODULE = "ngx_http_cache_purge_module.so"
DJANGO_UPSTREAM = "herdcache_django"  # the upstream extensions may proxy_pass to

_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_HEADER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_COOKIE = re.compile(r"[A-Za-z0-9_.-]+")
_SAFE = re.compile(r"[^\"'\\$;{}#%\s]+")  # paths and names: nothing nginx would interpret
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*( [A-Za-z0-9_][A-Za-z0-9_.-]*)?")  # user [group]
_TYPE = re.compile(r"[\w!#&^.+-]+/[\w!#&^.+-]+(; ?[\w-]+=[\w.-]+)*")


class NginxConfigError(ValueError):
    """An argument that would make a broken or unsafe nginx config."""


@dataclass(frozen=True)
class NginxExtension:
    """What an extension adds: dynamic modules (file names in the modules folder), blocks at
    http level (maps, upstreams, servers) and blocks inside the public server (locations).
    The text is used as it is: the extension validates what it puts there."""

    modules: Sequence[str] = ()
    http: Sequence[str] = ()
    server: Sequence[str] = ()


#: An extension is called with the checked arguments (listen, upstream, prefix, local_ttl,
#: django_upstream) and returns what it adds.
Extension = Callable[[Mapping[str, Any]], NginxExtension]


def parse_address(value: str, *, what: str, bare_port: bool = False) -> str:
    """Check ``host:port``, ``[v6]:port``, ``unix:/path`` (``bare_port``: also ``8080``, ``*:80``)."""
    value = str(value).strip()
    if value.startswith("unix:"):
        if not value[5:].startswith("/") or not _SAFE.fullmatch(value[5:]):
            raise NginxConfigError(f"{what}: {value!r} is not unix:/absolute/path")
        return value
    bare = bare_port and value.isdigit()
    host, _colon, port = ("", "", value) if bare else value.rpartition(":")
    if (not host and not bare) or not port.isdigit() or not 0 < int(port) < 65536:
        raise NginxConfigError(f"{what}: {value!r} is not host:port")
    if not host or (bare_port and host == "*"):  # listen 8080 / listen *:8080
        return value
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise NginxConfigError(f"{what}: {value!r} has a bad IPv6 address") from None
    elif not _HOST.fullmatch(host):
        raise NginxConfigError(f"{what}: {value!r} has a bad host")
    return value


def find_modules_dir() -> str:
    """Where this system keeps dynamic nginx modules (Debian: /usr/lib/nginx/modules)."""
    for folder in MODULE_DIRS:
        if os.path.exists(os.path.join(folder, BASE_MODULES[0])):
            return folder
    return MODULE_DIRS[0]


def _checked(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(str(value)):
        raise NginxConfigError(f"{what}: {value!r} is not allowed here")
    return str(value)


def render_config(
    *,
    listen: str,
    upstream: str,
    servers: Sequence[str],
    key_header: str = "X-Herdcache-Key",
    gzip_flag: int = 1024,
    types: Mapping[str, str] | None = None,
    bypass_cookies: Sequence[str] = ("sessionid", "csrftoken"),
    static_url: str | None = None,
    static_root: str | None = None,
    prefix: str = DEFAULT_PREFIX,
    local_ttl: int = 0,
    purge_allow: Sequence[str] = ("127.0.0.1",),
    server_names: Sequence[str] = (),
    modules_dir: str | None = None,
    user: str | None = None,
    worker_processes: int | str = "auto",
    server_block_only: bool = False,
    extensions: Sequence[Extension] = (),
    cache_status: bool = False,
) -> str:
    """The nginx config; ``server_block_only``: only what goes inside an existing ``http {}``."""
    listen = parse_address(listen, what="listen", bare_port=True)
    upstream = parse_address(upstream, what="upstream")
    servers = [parse_address(name, what="memcached server") for name in servers]
    if not servers:
        raise NginxConfigError("no memcached servers: nowhere for nginx to read edge copies from")
    _checked(_HEADER, key_header, "key header")
    if not 0 < int(gzip_flag) < 2**32:
        raise NginxConfigError(f"gzip flag: {gzip_flag!r} is not a 32-bit flag value")
    types = _checked_types(DEFAULT_TYPES if types is None else types)
    cookies = [_checked(_COOKIE, name, "bypass cookie") for name in bypass_cookies]
    if not os.path.isabs(prefix) or not _SAFE.fullmatch(prefix):
        raise NginxConfigError(f"prefix: {prefix!r} is not an absolute path")
    prefix = prefix.rstrip("/") or "/"
    if int(local_ttl) < 0:
        raise NginxConfigError(f"local TTL: {local_ttl!r} is negative")
    for address in purge_allow:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise NginxConfigError(f"purge allow: {address!r} is not an IP or CIDR") from None
    names = [_checked(_SAFE, name, "server name") for name in server_names]
    static = _static(static_url, static_root, types) if static_url and static_root else ""

    local = int(local_ttl) > 0
    socket = f"unix:{prefix}/{SOCKET_NAME}"
    context = {
        "listen": listen,
        "upstream": upstream,
        "prefix": prefix,
        "local_ttl": int(local_ttl),
        "django_upstream": DJANGO_UPSTREAM,
    }
    added = [extension(context) for extension in extensions]
    extra_modules = [_checked(_SAFE, name, "module") for ext in added for name in ext.modules]
    extra_http = [block for ext in added for block in ext.http]
    extra_server = [block for ext in added for block in ext.server]
    hit_status = blocks.EDGE_HIT_STATUS if cache_status else ""
    edge = [
        blocks.fill(
            blocks.EDGE_LOCATION,
            path=path,
            type=content_type,
            gzip_flag=int(gzip_flag),
            status=hit_status,
        )
        for path, content_type in sorted(types.items())
    ]
    if "/" not in types:
        edge.append(
            blocks.plain_location(key_header, behind_front=local, cache_status=cache_status)
        )
    edge.append(blocks.django_location(key_header, behind_front=local, cache_status=cache_status))
    http = [
        blocks.fill(blocks.BYPASS, cookie_rule=blocks.cookie_rule(cookies)),
        blocks.upstreams(servers, upstream),
    ]
    if cache_status:
        http.append(blocks.fill(blocks.STATUS_HTTP))
    if local:
        http.append(
            blocks.fill(blocks.LOCAL_HTTP, ttl=int(local_ttl), prefix=prefix, socket=socket)
        )
        if cache_status:
            http.append(blocks.fill(blocks.LOCAL_STATUS_HTTP))
        allow = "".join(f"    allow {address};\n" for address in purge_allow)
        local_status = blocks.LOCAL_STATUS if cache_status else ""
        front = [
            *extra_server,
            blocks.fill(
                blocks.FRONT_LOCATIONS, ttl=int(local_ttl), allow=allow, status=local_status
            ),
            static,
        ]
        http.append(blocks.server("Front: the local cache.", listen, names, front))
        note = "Memcached tier: the front server's upstream. The front logs each request."
        edge = ["access_log off;", blocks.MEMCACHED_TIMEOUTS, *edge]
        http.append(blocks.server(note, socket, [], edge))
    else:
        note = "Edge: hits straight from memcached, everything else from Django."
        edge = [blocks.MEMCACHED_TIMEOUTS, *extra_server, *edge, static]
        http.append(blocks.server(note, listen, names, edge))
    http.extend(extra_http)

    modules = [*BASE_MODULES, *([PURGE_MODULE] if local else [])]
    modules += [name for name in dict.fromkeys(extra_modules) if name not in modules]
    if server_block_only:
        intro = blocks.INTRO + "# For `include` inside http {}; the main config must load:\n"
        intro += "".join(f"#   load_module modules/{module};\n" for module in modules)
        return intro + "\n" + "\n\n".join(http) + "\n"
    folder = (modules_dir or find_modules_dir()).rstrip("/")
    main = blocks.fill(
        blocks.MAIN,
        modules="\n".join(f"load_module {folder}/{module};" for module in modules),
        prefix=prefix,
        user=blocks.user_line(_checked(_USER, user, "user")) if user else "",
        workers=_checked(_SAFE, str(worker_processes), "worker processes"),
    )
    mime = f"include {MIME_TYPES};" if os.path.exists(MIME_TYPES) else "types {}"
    settings = blocks.fill(blocks.HTTP_SETTINGS, mime=mime, prefix=prefix)
    body = "\n\n".join(textwrap.indent(part, "    ") for part in [settings, *http])
    intro = blocks.INTRO + f"# Run in the foreground: nginx -p {prefix} -c FILE -g 'daemon off;'\n"
    return f"{intro}\n{main}\n\nhttp {{\n{body}\n}}\n"


def _checked_types(types: Mapping[str, str]) -> dict[str, str]:
    if not types:
        raise NginxConfigError("types: no path prefix is served from the edge")
    for path, content_type in types.items():
        if not str(path).startswith("/"):
            raise NginxConfigError(f"types: prefix {path!r} does not start with /")
        _checked(_SAFE, path, "types prefix")
        _checked(_TYPE, content_type, "content type")
    return dict(types)


def _static(url: str, root: str, types: Mapping[str, str]) -> str:
    if not (url.startswith("/") and url.endswith("/")):
        raise NginxConfigError(f"static URL: {url!r} must start and end with /")
    if url in types:
        raise NginxConfigError(f"static URL: {url!r} is an edge prefix too")
    _checked(_SAFE, url, "static URL")
    # Both ending in "/": "location /static { alias /srv/static/; }" serves /static../secret.
    return blocks.static_location(url, _checked(_SAFE, str(root), "static root").rstrip("/") + "/")


def settings_options(**overrides: Any) -> dict[str, Any]:
    """``render_config`` arguments from HERDCACHE and Django settings; non-None overrides win."""
    from django.conf import settings

    from herdcache.conf import conf

    options: dict[str, Any] = {
        "servers": conf.EDGE_SERVERS,
        "key_header": conf.EDGE_KEY_HEADER,
        "gzip_flag": conf.EDGE_GZIP_FLAG,
        "types": conf.EDGE_TYPES,
        "bypass_cookies": conf.EDGE_BYPASS_COOKIES,
        "local_ttl": conf.EDGE_LOCAL_TTL,
        "extensions": conf.EDGE_NGINX_EXTENSIONS,
        "cache_status": conf.CACHE_STATUS,
    }
    static_url = getattr(settings, "STATIC_URL", None)  # Django adds the leading "/"
    static_root = getattr(settings, "STATIC_ROOT", None)
    if static_url and static_root and str(static_url).startswith("/"):  # not a CDN URL
        options.update(static_url=str(static_url), static_root=str(static_root))
    options.update({name: value for name, value in overrides.items() if value is not None})
    options["servers"] = [_server_name(name) for name in options["servers"]]
    return options


def _server_name(server: str) -> str:
    """The spelling herdcache's ketama ring hashes (port written out, ``unix:`` sockets)."""
    from herdcache.edge.ketama import nginx_server_name

    try:
        return nginx_server_name(server)
    except (TypeError, ValueError):
        return str(server)  # render_config says what is wrong with it
