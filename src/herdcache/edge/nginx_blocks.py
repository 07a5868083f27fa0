"""The text of each block in the generated nginx config, with the comments it carries.

``herdcache.edge.nginx`` checks the arguments and puts these together; values reaching these
templates are already validated (no quotes, ``$``, ``;`` or braces from outside).
"""

from __future__ import annotations

import contextlib
import grp
import pwd
import re
import textwrap
from collections.abc import Sequence


def fill(template: str, indent: int = 0, **values: object) -> str:
    """A %-template (nginx's braces stay as they are), dedented, then indented by ``indent``."""
    text = textwrap.dedent(template).strip("\n") % values
    return textwrap.indent(text, " " * indent, lambda line: bool(line.strip()))


MAIN = """
    # ndk must load before set_misc (set_md5 builds the memcached key).
    %(modules)s

    # Everything nginx writes lives under %(prefix)s: no clash with a system nginx.
    # Started as root, workers run as `user` (nginx's default: nobody) and nginx hands its temp
    # and cache folders to them; %(prefix)s itself must stay traversable (mode 755).
    %(user)sworker_processes %(workers)s;
    pid %(prefix)s/nginx.pid;
    error_log %(prefix)s/error.log warn;

    events {
        worker_connections 1024;
    }
"""

HTTP_SETTINGS = """
    %(mime)s
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    server_tokens off;
    access_log %(prefix)s/access.log;
    # The compiled-in temp folders (/var/lib/nginx/...) may be missing or root's: use the prefix.
    client_body_temp_path %(prefix)s/client_body_temp;
    proxy_temp_path %(prefix)s/proxy_temp;
    fastcgi_temp_path %(prefix)s/fastcgi_temp;
    uwsgi_temp_path %(prefix)s/uwsgi_temp;
    scgi_temp_path %(prefix)s/scgi_temp;
"""

BYPASS = """
    # Who bypasses the edge ($herdcache_bypass = 1): a session or CSRF cookie, any Authorization
    # header, any method but GET/HEAD. Such pages may be personal: only Django may answer them.
    map $http_cookie $herdcache_bypass_cookie {
        default 0;
    %(cookie_rule)s}
    map $http_authorization $herdcache_bypass_auth {
        "" 0;
        default 1;
    }
    map $request_method $herdcache_bypass_method {
        GET 0;
        HEAD 0;
        default 1;
    }
    # WebSocket handshakes (any Upgrade) go to Django and stay open: never an edge lookup.
    map $http_upgrade $herdcache_bypass_upgrade {
        "" 0;
        default 1;
    }
    map "$herdcache_bypass_cookie$herdcache_bypass_auth$herdcache_bypass_method$herdcache_bypass_upgrade" $herdcache_bypass {
        0000 0;
        default 1;
    }
    # Upstream keepalive needs no Connection header; an Upgrade must pass it on.
    map $http_upgrade $herdcache_connection {
        "" "";
        default upgrade;
    }
"""

UPSTREAMS = """
    # memcached nodes holding the edge copies; keepalive roughly triples hit throughput.
    upstream herdcache_memcached {
    %(balance)s%(servers)s    keepalive 64;
    }

    # Django, for misses, bypasses and memcached failures.
    upstream herdcache_django {
        server %(upstream)s;
        keepalive 32;
    }
"""

_CONSISTENT_HASH = """\
    # Same node as herdcache's ketama ring picks for Django's writes: keep these names
    # byte-identical to EDGE_SERVERS and in the same order.
    hash $memcached_key consistent;
"""

EDGE_LOCATION = """
    # Pages under %(path)s: edge copies are sent as %(type)s.
    location %(path)s {
        default_type "%(type)s";
        # The key Django writes under: md5 of the host (no port) and the raw URI with query.
        set_md5 $memcached_key "$host$request_uri";
        if ($herdcache_bypass) {
            return 404;  # to @django below, method and body intact
        }
        memcached_pass herdcache_memcached;
        # Values whose flags contain this bit get Content-Encoding: gzip; gunzip decompresses
        # them for clients that don't accept gzip.
        memcached_gzip_flag %(gzip_flag)s;
        gunzip on;
        add_header Vary Accept-Encoding;
        add_header X-Herdcache edge;
        # memcached hands nginx the body only, so the copy's age is unknown here: no Age and no
        # max-age (that would call a copy rendered minutes ago fresh for its whole lifetime).
        # Downstream caches may store it but must ask again each time; Django's own responses
        # (misses) carry their Age/max-age/Expires.
        add_header Cache-Control no-cache;%(status)s
        # 404: not in memcached (or bypassed); 502/504: memcached down or slow.
        error_page 404 502 504 = @django;
    }
"""

_DJANGO_PROXY = """
    proxy_pass http://herdcache_django;
    # Keepalive to Django: HTTP/1.1 and no "Connection: close"; WebSockets pass through.
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $herdcache_connection;
    # $http_host keeps the port, so Django builds absolute URLs right.
    proxy_set_header Host $http_host;
    %(forwarded)s
"""

_FORWARDED = {
    False: "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    "proxy_set_header X-Forwarded-Proto $scheme;",
    # Behind the front server (the only way into the socket): pass on what it computed.
    True: "proxy_set_header X-Forwarded-For $http_x_forwarded_for;\n"
    "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
}

LOCAL_HTTP = """
    # Local tier: hot pages from this node's disk for %(ttl)ss, misses to the memcached tier.
    proxy_cache_path %(prefix)s/cache levels=1:2 keys_zone=herdcache_local:10m max_size=1g
                     inactive=10m use_temp_path=off;

    # Only edge hits are cached locally: whether a Django response may be is Django's call.
    map $upstream_http_x_herdcache $herdcache_not_edge {
        volatile;
        edge 0;
        default 1;
    }

    # Cacheable requests always fetch the gzip copy (one cache file per URL; gunzip in the front
    # server serves clients without gzip); bypassed requests keep the client's Accept-Encoding.
    map $herdcache_bypass $herdcache_accept_encoding {
        0 gzip;
        default $http_accept_encoding;
    }

    # The memcached tier, reachable only through this socket.
    upstream herdcache_edge {
        server %(socket)s;
        keepalive 32;
    }
"""

FRONT_LOCATIONS = """
    location / {
        proxy_pass http://herdcache_edge;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $herdcache_connection;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Accept-Encoding $herdcache_accept_encoding;

        proxy_cache herdcache_local;
        # The memcached key's inputs: `PURGE /path` with the page's Host header matches.
        proxy_cache_key $host$request_uri;
        proxy_cache_valid 200 %(ttl)ss;
        # One request per URL refreshes (a memcached round trip); the others wait (lock) or
        # get the stale copy meanwhile, or when Django is down and the edge copy gone. No
        # proxy_cache_background_update: its refresh gets Django's answer once the edge copy is
        # gone (purged, page no longer cacheable), which is never stored, so every visitor
        # would get the stale copy forever.
        proxy_cache_lock on;
        proxy_cache_use_stale updating error timeout http_502 http_504;
        proxy_cache_bypass $herdcache_bypass;
        proxy_no_cache $herdcache_bypass $herdcache_not_edge;
        # Accept-Encoding is dealt with by always caching gzip (see the map above). Edge hits
        # say "Cache-Control: no-cache" to downstream caches (their age is unknown); this tier
        # keeps them for the TTL above all the same.
        proxy_ignore_headers Vary Cache-Control Expires;
        gunzip on;
        add_header X-Herdcache-Local $upstream_cache_status always;%(status)s
        # Cached pages are small files: sendfile's cork/writev/sendfile/uncork dance costs more
        # than it saves (measured: 0.82x of a static file with it, 0.94-1.05x without).
        sendfile off;

        error_page 418 = @herdcache_purge;
        if ($request_method = PURGE) {
            return 418;
        }
    }

    # PURGE /path evicts the local copy (Django sends it to EDGE_PURGE_NODES on purge).
    location @herdcache_purge {
    %(allow)s    deny all;
        proxy_cache_purge herdcache_local $host$request_uri;
    }
"""


INTRO = (
    "# Generated by `manage.py herdcache nginx`: nginx serves cached pages straight from\n"
    "# memcached and asks Django only on a miss. Regenerate it rather than edit it.\n"
)

# RFC 9211 Cache-Status (HERDCACHE["CACHE_STATUS"]). nginx appends its entry after Django's
# ("herdcache; hit; ttl=42, herdcache-edge; fwd=uri-miss": the list runs from the origin to the
# client). On the fallback, $upstream_status is "404 : 200" when memcached had no copy, "502 :
# 200" / "504 : 200" when it failed, just Django's status when the request bypassed the edge.
STATUS_HTTP = """
    map "$herdcache_bypass_method$herdcache_bypass:$upstream_status" $herdcache_edge_status {
        volatile;
        "~^1" "herdcache-edge; fwd=method";
        "~^01:" "herdcache-edge; fwd=bypass";
        "~^00:404 " "herdcache-edge; fwd=uri-miss";
        default "herdcache-edge; fwd=miss; detail=memcached-unavailable";
    }
"""

LOCAL_STATUS_HTTP = """
    # The local tier's entry, last in the list (nearest the client).
    map $upstream_cache_status $herdcache_local_status {
        volatile;
        HIT "herdcache-local; hit";
        STALE "herdcache-local; hit; detail=stale";
        UPDATING "herdcache-local; hit; detail=stale";
        EXPIRED "herdcache-local; fwd=stale";
        BYPASS "herdcache-local; fwd=bypass";
        default "herdcache-local; fwd=uri-miss";
    }
"""

EDGE_HIT_STATUS = '\n    add_header Cache-Status "herdcache-edge; hit";'
DJANGO_STATUS = "add_header Cache-Status $herdcache_edge_status always;"
PLAIN_STATUS = 'add_header Cache-Status "herdcache-edge; fwd=bypass" always;'
LOCAL_STATUS = "\n    add_header Cache-Status $herdcache_local_status always;"

MEMCACHED_TIMEOUTS = fill(
    """
    # memcached slower than this counts as down (502/504), and Django answers instead.
    memcached_connect_timeout 200ms;
    memcached_send_timeout 500ms;
    memcached_read_timeout 500ms;
    """
)


def user_line(user: str) -> str:
    """``user NAME GROUP;``: nginx's default group is the user's name, and Debian's nobody is in
    nogroup (``getgrnam("nobody") failed``), so name the primary group when this system knows it.
    """
    names = user.split()
    if len(names) == 1:
        with contextlib.suppress(KeyError):  # not a user here: nginx resolves it where it runs
            names.append(grp.getgrgid(pwd.getpwnam(names[0]).pw_gid).gr_name)
    return f"# Workers' user when nginx starts as root.\nuser {' '.join(names[:2])};\n"


def cookie_rule(cookies: Sequence[str]) -> str:
    if not cookies:
        return ""
    names = "|".join(re.escape(name) for name in cookies)
    return f'    "~(^|[;,])\\s*({names})=" 1;\n'


def upstreams(servers: Sequence[str], upstream: str) -> str:
    balance = _CONSISTENT_HASH if len(servers) > 1 else ""
    lines = "".join(f"    server {server};\n" for server in servers)
    return fill(UPSTREAMS, balance=balance, servers=lines, upstream=upstream)


def _django_proxy(key_line: str, *, behind_front: bool) -> str:
    proxy = fill(_DJANGO_PROXY, forwarded=_FORWARDED[behind_front])
    return textwrap.indent(f"{proxy}\n{key_line}", "    ")


def django_location(key_header: str, *, behind_front: bool, cache_status: bool = False) -> str:
    key = f"proxy_set_header {key_header} $memcached_key;"
    if cache_status:
        key += f"\n{DJANGO_STATUS}"
    return (
        "# Misses, bypasses, memcached failures: Django renders and writes the edge copy under\n"
        "# the key sent in the header (trusted only from EDGE_TRUSTED_PROXIES).\n"
        "location @django {\n"
        "    # Computed again: the key never depends on variables surviving the redirect.\n"
        '    set_md5 $memcached_key "$host$request_uri";\n'
        f"{_django_proxy(key, behind_front=behind_front)}\n}}"
    )


def plain_location(key_header: str, *, behind_front: bool, cache_status: bool = False) -> str:
    key = f'proxy_set_header {key_header} "";  # no key: never pass on a client\'s own'
    if cache_status:
        key += f"\n{PLAIN_STATUS}"
    return (
        "# Paths outside every edge prefix: always Django.\n"
        f"location / {{\n{_django_proxy(key, behind_front=behind_front)}\n}}"
    )


def server(comment: str, listen: str, names: Sequence[str], parts: Sequence[str]) -> str:
    head = f"    listen {listen};\n" + (f"    server_name {' '.join(names)};\n" if names else "")
    body = "\n\n".join(textwrap.indent(part, "    ") for part in parts if part)
    return f"# {comment}\nserver {{\n{head}\n{body}\n}}"


def static_location(url: str, root: str) -> str:
    return f"# Static files straight from STATIC_ROOT.\nlocation {url} {{\n    alias {root};\n}}"
