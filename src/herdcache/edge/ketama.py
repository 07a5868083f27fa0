"""The memcached node nginx reads a key from, computed in Python (seed 001).

nginx ``upstream mc { hash $memcached_key consistent; server A; server B; }`` spreads keys over the
servers with ketama (ngx_http_upstream_hash_module, "compatible with Cache::Memcached::Fast").
pymemcache's ``HashClient`` uses rendezvous hashing instead, so without help Django writes most
keys to a node nginx never asks. ``KetamaRing`` is nginx's ring; ``NginxKetamaHasher`` plugs it
into ``HashClient`` (``herdcache.backends.PyMemcacheCache`` uses it by default).

The algorithm, as nginx 1.22 implements it (``ngx_http_upstream_init_chash``):

- Each server's name is its ``server`` directive text, byte for byte: ``127.0.0.1:11211`` and
  ``localhost:11211`` are different rings even when they reach the same memcached. A name starting
  with ``unix:`` (any case) is host = the path, port = empty. Otherwise the name is split at the
  last ``:`` only if every character after it is a digit, so ``[::1]:11211`` is host ``[::1]``,
  port ``11211``, and a name without a port (``10.0.0.1``) is host = the name, port = empty: nginx
  connects to port 80 then, but hashes no port at all (it never inserts the default).
- ``base = crc32(host + b"\\0" + port)``; ``prev = 0``; ``160 * weight`` times:
  ``point = crc32(prev as 4 little-endian bytes)`` continuing from ``base``; ``prev = point``.
- All points are sorted by hash and duplicate hashes dropped, keeping the first. Peers share a
  name when a hostname resolves to several addresses, so their identical points collapse into one
  set (nginx then round-robins between those addresses). A collision between *different* servers
  (odds about 3e-5 for three servers) keeps the one glibc's stable qsort puts first, which is the
  earlier in config order; we do the same.
- A key goes to the first point with ``hash >= crc32(key)``, wrapping to the first point. The key
  is hashed as nginx evaluates ``$memcached_key``, before the memcached module escapes it.

Where nginx deviates from the ring, by design: a single server, or an empty key, uses round
robin (one server is trivially right; memcached has no empty key). A server that is ``down`` or
failing (``max_fails``) is skipped by walking on to the next point, which is where the ring
without that server sends the key too — ``HashClient`` removes a failing node the same way —
except that nginx falls back to round robin after 20 skipped points.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping

from pymemcache.client.base import normalize_server_spec

POINTS_PER_WEIGHT = 160


def split_server_name(name: str) -> tuple[bytes, bytes]:
    """(host, port) of an nginx ``server`` name, split exactly as nginx splits it."""
    raw = name.encode()
    if raw[:5].lower() == b"unix:":
        return raw[5:], b""
    host, colon, port = raw.rpartition(b":")
    if colon and port.isdigit():
        return host, port
    if colon and not port:  # "host:" — nginx rejects it, but its loop would split here
        return host, b""
    return raw, b""


def server_points(name: str, weight: int = 1) -> list[int]:
    """The ring points nginx gives one ``server`` (``160 * weight`` of them, unsorted)."""
    host, port = split_server_name(name)
    base = zlib.crc32(host + b"\0" + port)
    points = []
    prev = 0
    for _ in range(POINTS_PER_WEIGHT * weight):
        # zlib.crc32(data, crc) continues a finished CRC, as ngx_crc32_update continues base_hash.
        prev = zlib.crc32(prev.to_bytes(4, "little"), base)
        points.append(prev)
    return points


def nginx_server_name(server: str | tuple[str, int]) -> str:
    """The nginx ``server`` name for a Django ``LOCATION`` entry or a ``HashClient`` node name.

    It is the name an nginx config must use for the two sides to agree: the port is always
    written out (pymemcache defaults to 11211, nginx to 80), IPv6 hosts get brackets back
    (``HashClient`` names ``[::1]:11211`` as ``::1:11211``), sockets are spelled ``unix:/path``.
    """
    spec = normalize_server_spec(server)  # exactly what HashClient does with each server
    if isinstance(spec, str):
        return f"unix:{spec}"
    host, port = spec
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


class KetamaRing:
    """nginx's consistent-hash ring over ``servers`` (nginx ``server`` names, in config order).

    ``weights`` maps a name to its nginx ``weight=`` (default 1). Lookups are one crc32 and
    one bisection over a sorted list of ints.
    """

    __slots__ = ("_hashes", "_owners", "servers")

    def __init__(self, servers: Iterable[str], weights: Mapping[str, int] | None = None) -> None:
        self.servers: tuple[str, ...] = tuple(servers)
        if not self.servers:
            raise ValueError("a ketama ring needs at least one server")
        weights = weights or {}
        points: list[tuple[int, int, str]] = []
        for order, name in enumerate(self.servers):
            weight = weights.get(name, 1)
            if not isinstance(weight, int) or weight < 1:
                raise ValueError(f"weight of {name!r} must be a positive integer, not {weight!r}")
            points.extend((point, order, name) for point in server_points(name, weight))
        points.sort()  # by hash, then config order: the first of equal hashes survives, as in nginx
        self._hashes: list[int] = []
        self._owners: list[str] = []
        for point, _, name in points:
            if not self._hashes or self._hashes[-1] != point:
                self._hashes.append(point)
                self._owners.append(name)

    def __len__(self) -> int:
        """Number of distinct points on the ring."""
        return len(self._hashes)

    def node_for(self, key: str | bytes) -> str:
        """The server nginx reads ``key`` from (``str`` keys are hashed as UTF-8)."""
        if isinstance(key, str):
            key = key.encode()
        index = bisect_left(self._hashes, zlib.crc32(key))
        return self._owners[index if index < len(self._owners) else 0]


class NginxKetamaHasher:
    """A pymemcache ``HashClient`` hasher that picks the node nginx picks.

    ``HashClient(servers, hasher=NginxKetamaHasher)`` calls ``add_node`` with each server's
    ``"host:port"`` name in the order given; give nginx the same servers, with the names from
    ``nginx_server_name``. Weights: ``functools.partial(NginxKetamaHasher, weights={...})``,
    keyed by server as in ``LOCATION``. Don't use ``HashClient(key_prefix=...)`` with it: the
    hasher sees the key without the prefix, nginx with it (Django's ``KEY_PREFIX`` is fine).
    """

    def __init__(self, weights: Mapping[str, int] | None = None) -> None:
        self._weights = {nginx_server_name(name): w for name, w in (weights or {}).items()}
        self._order: dict[str, int] = {}  # node -> position when first added (config order)
        self._live: set[str] = set()
        # (ring over nginx names, nginx name -> node), swapped in as one object; None = stale
        self._lookup: tuple[KetamaRing, dict[str, str]] | None = None

    def add_node(self, node: str) -> None:
        self._order.setdefault(node, len(self._order))  # a revived node keeps its place
        if node not in self._live:
            self._live.add(node)
            self._lookup = None

    def remove_node(self, node: str) -> None:
        if node not in self._live:
            raise ValueError(f"No such node {node} to remove")
        self._live.remove(node)
        self._lookup = None

    def get_node(self, key: str | bytes) -> str | None:
        """The node for ``key``, or None when no node is left (``HashClient`` then raises)."""
        lookup = self._lookup
        if lookup is None:
            if not self._live:
                return None
            lookup = self._lookup = self._build()
        ring, node_of = lookup
        return node_of[ring.node_for(key)]

    def _build(self) -> tuple[KetamaRing, dict[str, str]]:
        nodes = sorted(self._live, key=self._order.__getitem__)
        node_of = {nginx_server_name(node): node for node in nodes}
        return KetamaRing(list(node_of), self._weights), node_of
