"""nginx config generator: cache hits straight from memcached, misses to Django (DESIGN §2).

``render_config`` is framework-free (plain arguments in, config text out); ``settings_options``
turns ``HERDCACHE`` / Django settings into those arguments. The output explains itself in
comments; the decisions that are easy to get wrong:

- The key is ``set_md5 $memcached_key "$host$request_uri"`` and is computed again in
  ``@django``, so the key header Django trusts never depends on variables surviving the
  ``error_page`` internal redirect. Every location that proxies to Django sets that header (to
  the key or to ``""``), so a client can never pass its own value through.
- Edge copies are gzip bytes flagged with ``gzip_flag``: ``memcached_gzip_flag`` adds
  ``Content-Encoding: gzip`` and ``gunzip on`` decompresses for clients that don't accept gzip.
- The optional local tier (``local_ttl > 0``) is a ``proxy_cache`` front server in front of the
  memcached tier (on a unix socket under ``prefix``). It caches only edge hits (never a Django
  response, whose caching rules it cannot know), always fetches the gzip copy and gunzips itself
  (so one cache file per URL: ``Vary`` is ignored there), and accepts ``PURGE /path`` from
  ``purge_allow`` (ngx_cache_purge, same-location syntax).
- Every file nginx writes lives under ``prefix``, so the config runs beside a system nginx, as
  root (workers run as ``user``, default ``nobody``: nginx chowns its temp and cache folders to
  them, the prefix must be traversable) or as any other user.
"""

from __future__ import annotations

import ipaddress
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_PREFIX = "/tmp/herdcache-nginx"
DEFAULT_TYPES = {"/": "text/html; charset=utf-8"}
MODULE_DIRS = ("/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/lib64/nginx/modules")
MIME_TYPES = "/etc/nginx/mime.types"
SOCKET_NAME = "herdcache-edge.sock"

_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")  # header names
_COOKIE = re.compile(r"[A-Za-z0-9_.-]+")
_SAFE = re.compile(r"[^\"'\\$;{}\s]+")  # paths: no quoting, no variables, no directive syntax
_TYPE = re.compile(r"[A-Za-z0-9!#&^_.+-]+/[A-Za-z0-9!#&^_.+-]+(; ?[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+)*")


class NginxConfigError(ValueError):
    """An argument that would produce a broken or unsafe nginx config."""


def parse_address(value: str, *, what: str, allow_bare_port: bool = False) -> str:
    """``host:port``, ``[v6]:port``, ``unix:/path`` (or a bare port) checked for nginx."""
    value = str(value).strip()
    if value.startswith("unix:"):
        path = value[5:]
        if not path.startswith("/") or not _SAFE.fullmatch(path):
            raise NginxConfigError(f"{what}: {value!r} is not unix:/absolute/path")
        return value
    if allow_bare_port and value.isdigit():
        host, port = "", value
    else:
        host, sep, port = value.rpartition(":")
        if not sep or not host:
            raise NginxConfigError(f"{what}: {value!r} is not host:port")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise NginxConfigError(f"{what}: {value!r} has no valid port")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise NginxConfigError(f"{what}: {value!r} has a bad IPv6 address") from None
    elif host and not _HOST.fullmatch(host):
        raise NginxConfigError(f"{what}: {value!r} has a bad host")
    return value


def find_modules_dir() -> str:
    """Where this system's dynamic nginx modules live (Debian: /usr/lib/nginx/modules)."""
    for folder in MODULE_DIRS:
        if os.path.exists(os.path.join(folder, "ndk_http_module.so")):
            return folder
    return MODULE_DIRS[0]


def _check(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise NginxConfigError(f"{what}: {value!r} is not allowed here")
    return value


def _block(text: str, indent: int = 0) -> str:
    """Dedent a template block, strip its blank edges, indent it by ``indent`` spaces."""
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent)


def _proxy_to_django(key: str, *, behind_front: bool) -> str:
    """Proxy directives for Django; ``key`` is the key header's value ("" sends no header)."""
    if behind_front:  # the front server already computed these from the client connection
        forwarded = (
            "proxy_set_header X-Forwarded-For $http_x_forwarded_for;\n"
            "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;"
        )
    else:
        forwarded = (
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "proxy_set_header X-Forwarded-Proto $scheme;"
        )
    return (
        "proxy_pass http://herdcache_django;\n"
        '# Keepalive to Django needs HTTP/1.1 and no "Connection: close".\n'
        "proxy_http_version 1.1;\n"
        'proxy_set_header Connection "";\n'
        "# $http_host keeps the port, so Django builds absolute URLs right.\n"
        "proxy_set_header Host $http_host;\n"
        f"{forwarded}\n"
        f"{key}"
    )


_MEMCACHED_TIMEOUTS = _block(
    """
    # memcached slower than this counts as down (502/504), and Django answers instead.
    memcached_connect_timeout 200ms;
    memcached_send_timeout 500ms;
    memcached_read_timeout 500ms;
    """
)


def _edge_location(path: str, content_type: str, *, gzip_flag: int, key_header: str) -> str:
    return _block(
        f"""
        # Pages under {path}: edge copies are sent as {content_type}.
        location {path} {{
            default_type "{content_type}";
            # The key Django writes under: md5 of the host (no port) and the raw URI with query.
            set_md5 $memcached_key "$host$request_uri";
            # Logged-in visitors, Authorization, non-GET/HEAD: never from the edge, to Django.
            if ($herdcache_bypass) {{
                return 404;
            }}
            memcached_pass herdcache_memcached;
            # Edge copies are gzip bytes stored with this flag bit: nginx adds
            # Content-Encoding: gzip, and gunzip decompresses for clients without gzip.
            memcached_gzip_flag {gzip_flag};
            gunzip on;
            add_header Vary Accept-Encoding;
            add_header X-Herdcache edge;
            # 404: not in memcached (or bypassed); 502/504: memcached down or slow.
            error_page 404 502 504 = @django;
        }}
        """
    )


def _django_location(key_header: str, *, behind_front: bool) -> str:
    key = (
        "# Computed again: the key header never depends on variables surviving the redirect.\n"
        f"proxy_set_header {key_header} $memcached_key;"
    )
    proxy = textwrap.indent(_proxy_to_django(key, behind_front=behind_front), "    ")
    return (
        "# Misses, bypasses and memcached failures: Django renders, and writes the edge copy\n"
        "# under the key nginx sends it (trusted only from EDGE_TRUSTED_PROXIES).\n"
        "location @django {\n"
        '    set_md5 $memcached_key "$host$request_uri";\n'
        f"{proxy}\n"
        "}"
    )


def _plain_location(key_header: str, *, behind_front: bool) -> str:
    """``location /`` when no edge prefix covers it: Django only, and no client key header."""
    key = f'proxy_set_header {key_header} "";  # never pass a client\'s own key header on'
    proxy = textwrap.indent(_proxy_to_django(key, behind_front=behind_front), "    ")
    return f"# Paths outside every edge prefix: always Django.\nlocation / {{\n{proxy}\n}}"


def _static_location(static_url: str, static_root: str) -> str:
    return _block(
        f"""
        # Static files straight from STATIC_ROOT.
        location {static_url} {{
            alias {static_root};
        }}
        """
    )


def _server(listen: str, server_names: Sequence[str], body: Sequence[str], title: str) -> str:
    names = f"    server_name {' '.join(server_names)};\n" if server_names else ""
    inner = "\n\n".join(textwrap.indent(part, "    ") for part in body)
    return f"# {title}\nserver {{\n    listen {listen};\n{names}\n{inner}\n}}"


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
) -> str:
    """The nginx config text; ``server_block_only``: just what goes inside an ``http {}``."""
    listen = parse_address(listen, what="listen", allow_bare_port=True)
    upstream = parse_address(upstream, what="upstream")
    servers = [parse_address(server, what="memcached server") for server in servers]
    if not servers:
        raise NginxConfigError("no memcached servers: nginx has nowhere to read edge copies")
    _check(_TOKEN, key_header, "key header")
    if not 0 < int(gzip_flag) < 2**32:
        raise NginxConfigError(f"gzip flag: {gzip_flag!r} is not a 32-bit flag value")
    types = dict(DEFAULT_TYPES if types is None else types)
    if not types:
        raise NginxConfigError("types: at least one path prefix must be served from the edge")
    for path, content_type in types.items():
        if not path.startswith("/"):
            raise NginxConfigError(f"types: prefix {path!r} does not start with /")
        _check(_SAFE, path, "types prefix")
        _check(_TYPE, content_type, "content type")
    cookies = [_check(_COOKIE, name, "bypass cookie") for name in bypass_cookies]
    if not os.path.isabs(prefix) or not _SAFE.fullmatch(prefix):
        raise NginxConfigError(f"prefix: {prefix!r} is not an absolute path")
    prefix = prefix.rstrip("/") or "/"
    if local_ttl < 0:
        raise NginxConfigError(f"local TTL: {local_ttl!r} is negative")
    for address in purge_allow:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise NginxConfigError(f"purge allow: {address!r} is not an IP or CIDR") from None
    for name in server_names:
        _check(_SAFE, name, "server name")
    static = None
    if static_url and static_root:
        if not (static_url.startswith("/") and static_url.endswith("/")):
            raise NginxConfigError(f"static URL: {static_url!r} must start and end with /")
        _check(_SAFE, static_url, "static URL")
        _check(_SAFE, static_root, "static root")
        if static_url in types:
            raise NginxConfigError(f"static URL {static_url!r} is also an edge prefix")
        static = _static_location(static_url, static_root.rstrip("/") + "/")

    local = local_ttl > 0
    socket = f"unix:{prefix}/{SOCKET_NAME}"
    http = [
        _bypass_maps(cookies),
        _upstreams(servers, upstream, socket if local else None),
    ]
    edge_body = [_MEMCACHED_TIMEOUTS]
    edge_body += [_edge_location(path, ctype, gzip_flag=int(gzip_flag), key_header=key_header)
                 for path, ctype in sorted(types.items())]  # fmt: skip
    if "/" not in types:
        edge_body.append(_plain_location(key_header, behind_front=local))
    edge_body.append(_django_location(key_header, behind_front=local))
    if local:
        http.append(
            _local_cache(prefix, local_ttl, purge_allow, socket, listen, server_names, static)
        )
        title = "Memcached tier, reachable only through the front server's socket."
        http.append(_server(socket, (), edge_body, title))
    else:
        edge_body.extend([static] if static else [])
        title = "Edge: hits from memcached, everything else from Django."
        http.append(_server(listen, server_names, edge_body, title))

    modules = ["ndk_http_module.so", "ngx_http_set_misc_module.so"]
    modules += ["ngx_http_cache_purge_module.so"] if local else []
    intro = _intro(prefix, modules, server_block_only)
    if server_block_only:
        return intro + "\n\n" + "\n\n".join(http) + "\n"
    folder = modules_dir or find_modules_dir()
    main = [f"load_module {folder}/{module};" for module in modules]
    parts = [intro, _main(main, prefix, user, worker_processes), _http(prefix, http)]
    return "\n\n".join(parts) + "\n"


def _intro(prefix: str, modules: Sequence[str], server_block_only: bool) -> str:
    lines = [
        "# Generated by `manage.py herdcache nginx`: nginx serves cached pages straight from",
        "# memcached and asks Django only on a miss. Regenerate rather than edit.",
    ]
    if server_block_only:
        lines += [
            "# For `include` inside http {}. The main config must load (ndk first):",
            *(f"#   load_module modules/{module};" for module in modules),
        ]
    else:
        lines += [f"# Run in the foreground: nginx -p {prefix} -c FILE -g 'daemon off;'"]
    return "\n".join(lines)


def _main(modules: Sequence[str], prefix: str, user: str | None, workers: int | str) -> str:
    user_line = (
        f"# Workers' user when started as root (ignored otherwise).\nuser {user};\n" if user else ""
    )
    return _block(
        """
        # ndk must load before set_misc (set_md5 builds the memcached key).
        {modules}

        # Everything nginx writes lives under {prefix}: no clash with a system nginx. Started as
        # root, workers run as `user` (default nobody); nginx chowns its temp and cache folders
        # to them, and {prefix} itself must be traversable (mode 755).
        {user}worker_processes {workers};
        pid {prefix}/nginx.pid;
        error_log {prefix}/error.log warn;

        events {{
            worker_connections 1024;
        }}
        """
    ).format(modules="\n".join(modules), prefix=prefix, user=user_line, workers=workers)


def _http(prefix: str, parts: Sequence[str]) -> str:
    mime = (
        f"include {MIME_TYPES};"
        if os.path.exists(MIME_TYPES)
        else "types {\n    text/css css;\n    application/javascript js;\n}"
    )
    settings = _block(
        f"""
        {mime}
        default_type application/octet-stream;
        sendfile on;
        tcp_nopush on;
        keepalive_timeout 65;
        server_tokens off;
        access_log {prefix}/access.log;
        client_body_temp_path {prefix}/client_body_temp;
        proxy_temp_path {prefix}/proxy_temp;
        fastcgi_temp_path {prefix}/fastcgi_temp;
        uwsgi_temp_path {prefix}/uwsgi_temp;
        scgi_temp_path {prefix}/scgi_temp;
        """
    )
    body = "\n\n".join(textwrap.indent(part, "    ") for part in [settings, *parts])
    return f"http {{\n{body}\n}}"


def _bypass_maps(cookies: Sequence[str]) -> str:
    names = "|".join(re.escape(name) for name in cookies)
    cookie_rule = f'    "~(^|[;,])\\s*({names})=" 1;\n' if cookies else ""
    return (
        "# Who bypasses the edge: $herdcache_bypass is 1 for a session/CSRF cookie, an\n"
        "# Authorization header, or a method other than GET/HEAD (such pages are per visitor).\n"
        "map $http_cookie $herdcache_bypass_cookie {\n"
        "    default 0;\n"
        f"{cookie_rule}"
        "}\n"
        "map $http_authorization $herdcache_bypass_auth {\n"
        '    "" 0;\n'
        "    default 1;\n"
        "}\n"
        "map $request_method $herdcache_bypass_method {\n"
        "    GET 0;\n"
        "    HEAD 0;\n"
        "    default 1;\n"
        "}\n"
        'map "$herdcache_bypass_cookie$herdcache_bypass_auth$herdcache_bypass_method" '
        "$herdcache_bypass {\n"
        "    000 0;\n"
        "    default 1;\n"
        "}"
    )


def _upstreams(servers: Sequence[str], upstream: str, socket: str | None) -> str:
    if len(servers) > 1:
        balance = (
            "    # Same node choice as herdcache's ketama ring (herdcache.edge.ketama): keep the\n"
            "    # server names byte-identical to EDGE_SERVERS, in the same order.\n"
            "    hash $memcached_key consistent;\n"
        )
    else:
        balance = ""
    memcached = "".join(f"    server {server};\n" for server in servers)
    text = (
        "# memcached nodes holding edge copies; keepalive roughly triples hit throughput.\n"
        f"upstream herdcache_memcached {{\n{balance}{memcached}    keepalive 64;\n}}\n"
        "\n"
        f"# Django.\nupstream herdcache_django {{\n    server {upstream};\n    keepalive 32;\n}}"
    )
    if socket:
        text += (
            "\n\n# The memcached tier, behind the local cache.\n"
            f"upstream herdcache_edge {{\n    server {socket};\n    keepalive 32;\n}}"
        )
    return text


def _local_cache(
    prefix: str,
    ttl: int,
    purge_allow: Sequence[str],
    socket: str,
    listen: str,
    server_names: Sequence[str],
    static: str | None,
) -> str:
    allow = " ".join(purge_allow) if purge_allow else "none"  # no address: PURGE always 403
    cache = _block(
        f"""
        # Local tier: hot pages from this node's disk cache for {ttl}s, misses to the memcached tier.
        proxy_cache_path {prefix}/cache levels=1:2 keys_zone=herdcache_local:10m max_size=1g
                         inactive=10m use_temp_path=off;

        # Only edge hits are cached locally: a Django response's caching is Django's business.
        map $upstream_http_x_herdcache $herdcache_not_edge {{
            volatile;
            edge 0;
            default 1;
        }}

        # Cacheable requests always fetch the gzip copy (one cache file per URL; gunzip below
        # serves clients without gzip); bypassed requests keep the client's Accept-Encoding.
        map $herdcache_bypass $herdcache_accept_encoding {{
            0 gzip;
            default $http_accept_encoding;
        }}
        """
    )
    location = _block(
        f"""
        location / {{
            proxy_pass http://herdcache_edge;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Accept-Encoding $herdcache_accept_encoding;

            proxy_cache herdcache_local;
            # Same inputs as the memcached key, so `PURGE /path` with the page's Host matches.
            proxy_cache_key $host$request_uri;
            proxy_cache_valid 200 {ttl}s;
            # One request per URL refreshes; the others wait (lock) or get the stale copy.
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout;
            proxy_cache_background_update on;
            proxy_cache_bypass $herdcache_bypass;
            proxy_no_cache $herdcache_bypass $herdcache_not_edge;
            # Vary: Accept-Encoding is handled by always caching gzip (see the map above).
            proxy_ignore_headers Vary;
            # PURGE /path (same Host as the page) evicts it here; Django sends it on purge.
            error_page 418 = @herdcache_purge;
            if ($request_method = PURGE) {{
                return 418;
            }}

            gunzip on;
            add_header X-Herdcache-Local $upstream_cache_status always;
        }}
        """,
        4,
    )
    location += "\n\n" + _block(
        f"""
        location @herdcache_purge {{
            allow {allow};
            deny all;
            proxy_cache_purge herdcache_local $host$request_uri;
        }}
        """,
        4,
    )
    names = f"    server_name {' '.join(server_names)};\n" if server_names else ""
    static_part = "\n\n" + textwrap.indent(static, "    ") if static else ""
    front = (
        "# Front: the local cache.\n"
        f"server {{\n    listen {listen};\n{names}\n{location}{static_part}\n}}"
    )
    return f"{cache}\n\n{front}"


def settings_options(**overrides: Any) -> dict[str, Any]:
    """``render_config`` arguments from HERDCACHE and Django settings; ``overrides`` win."""
    from django.conf import settings

    from herdcache.conf import conf

    static_url = getattr(settings, "STATIC_URL", None)
    static_root = getattr(settings, "STATIC_ROOT", None)
    options: dict[str, Any] = {
        "servers": conf.EDGE_SERVERS,
        "key_header": conf.EDGE_KEY_HEADER,
        "gzip_flag": conf.EDGE_GZIP_FLAG,
        "types": conf.EDGE_TYPES,
        "bypass_cookies": conf.EDGE_BYPASS_COOKIES,
        "local_ttl": conf.EDGE_LOCAL_TTL,
    }
    if static_url and static_root and str(static_url).startswith("/"):  # not a CDN URL
        options.update(static_url=str(static_url), static_root=str(static_root))
    options.update({name: value for name, value in overrides.items() if value is not None})
    return options
