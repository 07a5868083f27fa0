"""Edge copies: the raw page body in memcached under the exact key nginx computes (DESIGN §2).

nginx's ``memcached_pass`` sends no headers from the value, so an edge copy is the body only,
gzip-compressed and flagged with ``EDGE_GZIP_FLAG`` (nginx adds ``Content-Encoding: gzip``, and
``gunzip on`` serves clients that don't accept gzip). Content-Type comes from the nginx location,
so a page goes to the edge only if its type is what its path prefix's location will send.

The key is ``md5($host$request_uri)``. nginx passes the key it computed in ``EDGE_KEY_HEADER`` on
the fallback request; Django trusts that header only from ``EDGE_TRUSTED_PROXIES`` (otherwise any
client could have a page stored under another URL's key) and computes the key itself otherwise.

Never on the edge: anything with a session/CSRF cookie or Authorization in the request, a page
whose language or time zone was chosen for the request (``herdcache.locale``), any
response Django's rules refuse, any ``Vary`` but ``Accept-Encoding``, per-visitor ``key_prefix``
callables, non-200, non-GET.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.http.request import split_domain_port

from herdcache.conf import conf
from herdcache.locale import chosen_per_request

logger = logging.getLogger("herdcache")
_KEY = re.compile(r"[0-9a-f]{32}")


def nginx_key(host: str, request_uri: str | bytes) -> str:
    """``set_md5 $memcached_key "$host$request_uri"``: md5 hex of the host and the raw URI."""
    uri = (
        request_uri
        if isinstance(request_uri, bytes)
        else request_uri.encode("utf-8", "surrogateescape")
    )
    return hashlib.md5(host.encode("utf-8") + uri).hexdigest()


def nginx_host(request: HttpRequest) -> str:
    """nginx's ``$host``: the Host header lower-cased, without port or a trailing dot."""
    domain, _port = split_domain_port(request.get_host())
    return domain.rstrip(".")


def raw_request_uri(request: HttpRequest) -> bytes:
    """The request target as the client sent it, when the server tells us; else Django's form."""
    meta = request.META
    for name in ("RAW_URI", "REQUEST_URI"):  # gunicorn, uWSGI
        if meta.get(name):
            return str(meta[name]).encode("latin-1", "replace")
    scope = getattr(request, "scope", None)  # ASGI: raw_path has no query string
    if scope and scope.get("raw_path"):
        query = scope.get("query_string") or b""
        return scope["raw_path"] + (b"?" + query if query else b"")
    return request.get_full_path().encode("ascii", "replace")


def trusted(address: str, proxies: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``proxies`` (IPs or CIDR networks)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def forwarded_key(request: HttpRequest) -> str | None:
    """The key nginx sent with a fallback request, if it comes from a trusted proxy."""
    header = "HTTP_" + conf.EDGE_KEY_HEADER.upper().replace("-", "_")
    value = request.META.get(header)
    if not value or not trusted(request.META.get("REMOTE_ADDR", ""), conf.EDGE_TRUSTED_PROXIES):
        return None
    return value if _KEY.fullmatch(value) else None


def request_edge_key(request: HttpRequest) -> str | None:
    """The edge key for ``request``, or None when its page must not go to the edge."""
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if any(name in request.COOKIES for name in conf.EDGE_BYPASS_COOKIES):
        return None  # a logged-in (or form-holding) visitor: nginx bypasses the edge for them too
    if chosen_per_request(request):
        return None  # language/zone picked for this visitor: nginx's key (host + URI) can't tell
    return forwarded_key(request) or nginx_key(nginx_host(request), raw_request_uri(request))


def location_type(path: str, types: dict[str, str]) -> str | None:
    """Content type nginx sends for ``path``: the longest matching prefix's."""
    best = max((prefix for prefix in types if path.startswith(prefix)), key=len, default=None)
    return types[best] if best is not None else None


def _normal_type(value: str) -> str:
    return ";".join(part.strip().lower() for part in value.split(";") if part.strip())


def edge_body(
    path: str, headers: Iterable[tuple[str, str]], body: bytes, vary: Iterable[str]
) -> bytes | None:
    """gzip bytes for the edge, or None when this response must not go there."""
    if any(name != "accept-encoding" for name in vary):
        return None
    header_map = {name.lower(): value for name, value in headers}
    expected = location_type(path, conf.EDGE_TYPES)
    if expected is None or _normal_type(header_map.get("content-type", "")) != _normal_type(
        expected
    ):
        return None
    encoding = header_map.get("content-encoding", "").strip().lower()
    if encoding == "gzip":
        return body  # already compressed (e.g. GZipMiddleware under the per-site middleware)
    if encoding not in ("", "identity"):
        return None
    return gzip.compress(body, compresslevel=6, mtime=0)


class EdgeClients:
    """One raw memcached client per server list (nginx's ketama node choice), made on first use."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, servers: list[str]) -> Any:
        key = tuple(servers)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from pymemcache.client.hash import HashClient

                from herdcache.backends import FAIL_FAST_OPTIONS

                client = HashClient(servers, **FAIL_FAST_OPTIONS)  # raw bytes: no serde
                self._clients[key] = client
            return client

    def reset(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


clients = EdgeClients()


def write(edge_key: str, value: bytes, ttl: float, *, only_if_missing: bool = False) -> bool:
    """Put an edge copy in memcached; False (logged) when memcached refused or is down."""
    servers = conf.EDGE_SERVERS
    if not servers:
        return False
    client = clients.get(servers)
    seconds = max(1, int(ttl))
    try:
        if only_if_missing:
            client.add(edge_key, value, expire=seconds, noreply=False, flags=conf.EDGE_GZIP_FLAG)
            return True
        return bool(
            client.set(edge_key, value, expire=seconds, noreply=False, flags=conf.EDGE_GZIP_FLAG)
        )
    except Exception as exc:
        logger.warning("herdcache: edge write failed (%s)", exc)
        return False


def delete(edge_keys: Iterable[str]) -> int:
    """Remove edge copies (purge); return how many could not be deleted (memcached down)."""
    keys = list(edge_keys)
    servers = conf.EDGE_SERVERS
    if not keys or not servers:
        return 0
    client = clients.get(servers)
    failed = 0
    for key in keys:
        try:
            client.delete(key, noreply=False)
        except Exception as exc:
            failed += 1
            logger.warning("herdcache: edge delete failed (%s)", exc)
    return failed
