"""herdcache.edge.ketama on its own: the ring's shape and properties, and the pymemcache hasher.

Agreement with the real nginx is proven in test_ketama_nginx.py.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections import Counter

import pytest
from pymemcache.client.hash import HashClient

from herdcache.edge.ketama import (
    KetamaRing,
    NginxKetamaHasher,
    nginx_server_name,
    server_points,
    split_server_name,
)

SERVERS = ["127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"]
KEYS = [hashlib.md5(str(i).encode()).hexdigest() for i in range(30_000)]


def shares(ring: KetamaRing, keys: list[str] = KEYS) -> dict[str, float]:
    counts = Counter(ring.node_for(key) for key in keys)
    return {server: count / len(keys) for server, count in counts.items()}


@pytest.mark.parametrize(
    ("name", "host", "port"),
    [
        ("127.0.0.1:11211", b"127.0.0.1", b"11211"),
        ("[::1]:11211", b"[::1]", b"11211"),
        ("10.0.0.1", b"10.0.0.1", b""),  # no port: nginx connects to 80 but hashes none
        ("[::1]", b"[::1]", b""),
        ("mc.example.com", b"mc.example.com", b""),
        ("unix:/run/mc.sock", b"/run/mc.sock", b""),
        ("UNIX:/run/mc.sock", b"/run/mc.sock", b""),  # nginx compares "unix:" ignoring case
    ],
)
def test_names_split_as_nginx_splits_them(name: str, host: bytes, port: bytes) -> None:
    assert split_server_name(name) == (host, port)


def test_points_chain_crc32_from_host_nul_port() -> None:
    """Spelled out once by hand: crc32("127.0.0.1" \\0 "11211" PREV) with PREV little-endian."""
    points = server_points("127.0.0.1:11211", weight=2)
    assert len(points) == 320
    prev = 0
    for point in points:
        assert point == zlib.crc32(b"127.0.0.1\x0011211" + prev.to_bytes(4, "little"))
        prev = point


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("127.0.0.1:11211", "127.0.0.1:11211"),
        ("mc.example.com", "mc.example.com:11211"),  # pymemcache's default port, written out
        ("[::1]:11211", "[::1]:11211"),
        ("::1:11211", "[::1]:11211"),  # how HashClient names an IPv6 server
        (("::1", 11211), "[::1]:11211"),
        ("unix:/run/mc.sock", "unix:/run/mc.sock"),
        ("/run/mc.sock", "unix:/run/mc.sock"),  # how HashClient names a socket
    ],
)
def test_nginx_server_name(location: str | tuple[str, int], name: str) -> None:
    assert nginx_server_name(location) == name


def test_ring_is_deterministic_and_order_free() -> None:
    """Points depend on names only, so config order changes nothing (bar hash collisions)."""
    ring = KetamaRing(SERVERS)
    assert len(ring) == 480
    again = KetamaRing(list(reversed(SERVERS)))
    assert all(ring.node_for(key) == again.node_for(key) for key in KEYS)
    assert ring.node_for(KEYS[0]) == ring.node_for(KEYS[0].encode())


def test_distribution_is_roughly_even() -> None:
    for share in shares(KetamaRing(SERVERS)).values():
        assert 0.25 < share < 0.42


def test_removing_a_node_moves_only_its_keys() -> None:
    before = KetamaRing(SERVERS)
    after = KetamaRing(SERVERS[:2])
    moved = 0
    for key in KEYS:
        old, new = before.node_for(key), after.node_for(key)
        if old == SERVERS[2]:
            moved += 1
        else:
            assert new == old
    assert moved > len(KEYS) / 5


def test_adding_a_node_takes_keys_only_for_itself() -> None:
    before, after = KetamaRing(SERVERS), KetamaRing([*SERVERS, "127.0.0.1:11214"])
    changed = [key for key in KEYS if before.node_for(key) != after.node_for(key)]
    assert all(after.node_for(key) == "127.0.0.1:11214" for key in changed)
    assert 0.15 < len(changed) / len(KEYS) < 0.35


def test_weight_multiplies_points_and_share() -> None:
    ring = KetamaRing(SERVERS, weights={SERVERS[0]: 2})
    assert len(ring) == 640
    share = shares(ring)
    assert 0.4 < share[SERVERS[0]] < 0.6
    assert 0.15 < share[SERVERS[1]] < 0.35


@pytest.mark.parametrize("weight", [0, -1, 1.5])
def test_bad_weight_is_refused(weight: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        KetamaRing(SERVERS, weights={SERVERS[0]: weight})  # type: ignore[dict-item]


def test_empty_ring_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one server"):
        KetamaRing([])


def test_keys_past_the_last_point_wrap_to_the_first() -> None:
    ring = KetamaRing(SERVERS)
    points = {point: name for name in SERVERS for point in server_points(name)}
    last, owner_of_first = max(points), points[min(points)]
    rng = random.Random(1)
    beyond = next(key for key in (rng.randbytes(8) for _ in range(10**6)) if zlib.crc32(key) > last)
    assert ring.node_for(beyond) == owner_of_first


def test_duplicate_names_collapse_to_one_server() -> None:
    """One name twice (as a hostname with two addresses gives nginx two peers) = same ring."""
    doubled = KetamaRing([*SERVERS, SERVERS[0]])
    assert len(doubled) == 480
    assert all(doubled.node_for(key) == KetamaRing(SERVERS).node_for(key) for key in KEYS[:2000])


# --- NginxKetamaHasher: pymemcache's hasher interface ---------------------------------------


def test_hasher_matches_the_ring() -> None:
    hasher = NginxKetamaHasher()
    for node in SERVERS:
        hasher.add_node(node)
    ring = KetamaRing(SERVERS)
    assert all(hasher.get_node(key) == ring.node_for(key) for key in KEYS[:5000])


def test_hasher_follows_removal_and_revival() -> None:
    hasher = NginxKetamaHasher()
    assert hasher.get_node("k") is None  # HashClient turns this into "all servers down"
    for node in SERVERS:
        hasher.add_node(node)
    hasher.remove_node(SERVERS[1])
    two = KetamaRing([SERVERS[0], SERVERS[2]])
    assert all(hasher.get_node(key) == two.node_for(key) for key in KEYS[:2000])
    hasher.add_node(SERVERS[1])  # HashClient re-adds a dead server after dead_timeout
    hasher.add_node(SERVERS[1])
    three = KetamaRing(SERVERS)
    assert all(hasher.get_node(key) == three.node_for(key) for key in KEYS[:2000])
    with pytest.raises(ValueError, match="No such node"):
        hasher.remove_node("127.0.0.1:1")


def test_hasher_maps_hashclient_names_back_to_nginx_names() -> None:
    """HashClient calls "[::1]:11212" "::1:11212"; nginx hashes the bracketed name."""
    client = HashClient(["[::1]:11211", "[::1]:11212"], hasher=NginxKetamaHasher)
    assert set(client.clients) == {"::1:11211", "::1:11212"}
    ring = KetamaRing(["[::1]:11211", "[::1]:11212"])
    for key in KEYS[:2000]:
        assert client.hasher.get_node(key) == ring.node_for(key).strip("[").replace("]", "")


def test_hashclient_adds_nodes_as_host_port_in_given_order() -> None:
    added: list[str] = []

    class Recording(NginxKetamaHasher):
        def add_node(self, node: str) -> None:
            added.append(node)
            super().add_node(node)

    HashClient([SERVERS[2], ("127.0.0.1", 11211), "localhost"], hasher=Recording)
    assert added == [SERVERS[2], SERVERS[0], "localhost:11211"]


def test_hasher_weights_by_location_spelling() -> None:
    hasher = NginxKetamaHasher(weights={SERVERS[0]: 2})
    for node in SERVERS:
        hasher.add_node(node)
    ring = KetamaRing(SERVERS, weights={SERVERS[0]: 2})
    assert all(hasher.get_node(key) == ring.node_for(key) for key in KEYS[:5000])
