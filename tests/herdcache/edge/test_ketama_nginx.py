"""The proof: keys written from Python land on the memcached node a real nginx reads them from.

Three memcached servers behind ``upstream mc { hash $memcached_key consistent; ... }``; thousands
of keys written by pymemcache (raw, and through Django's cache), each fetched through nginx.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import httpx
import pytest
from django.core.cache import caches
from pymemcache.client.base import Client
from pymemcache.client.hash import HashClient
from pymemcache.client.rendezvous import RendezvousHash

from herdcache.edge.ketama import KetamaRing, NginxKetamaHasher, nginx_server_name
from tests.fixtures.nginx import nginx_config, run_nginx
from tests.fixtures.servers import Server, memcached_command, run_server

# Characters a URL query carries as they are: $arg_k is not unescaped, so a key made of these is
# byte for byte the key nginx hashes (httpx's params= would escape ":", hence raw URLs below).
SAFE = string.ascii_letters + string.digits + "-_.~:"


@pytest.fixture(scope="module")
def nodes() -> Iterator[list[str]]:
    """Three memcached servers, as "127.0.0.1:PORT" (the spelling both sides use)."""
    with ExitStack() as stack:
        servers = [
            stack.enter_context(contextmanager(run_server)(f"memcached{i}", memcached_command))
            for i in range(3)
        ]
        yield [server.address for server in servers]


@pytest.fixture(scope="module")
def edge(nodes: list[str]) -> Iterator[httpx.Client]:
    """nginx reading /get?k=KEY from the three nodes, as an HTTP client."""
    upstream = "".join(f"        server {nginx_server_name(node)};\n" for node in nodes)

    def config(port: int, prefix: Path) -> str:
        return nginx_config(
            prefix,
            f"    upstream mc {{\n        hash $memcached_key consistent;\n{upstream}"
            f"        keepalive 8;\n    }}\n"
            f"    server {{\n        listen 127.0.0.1:{port};\n"
            f"        location /get {{ set $memcached_key $arg_k; memcached_pass mc; }}\n    }}",
        )

    with (
        contextmanager(run_nginx)(config) as nginx,
        httpx.Client(base_url=f"http://{nginx.address}") as client,
    ):
        yield client


@pytest.fixture
def empty(nodes: list[str]) -> list[str]:
    for node in nodes:
        with closing(Client(node)) as client:
            client.flush_all(noreply=False)
    return nodes


def sample_keys(count: int) -> list[str]:
    """Half md5 hex digests (what herdcache writes), half random strings of any length."""
    rng = random.Random(1)
    half = count // 2
    digests = [hashlib.md5(f"page {i}".encode()).hexdigest() for i in range(half)]
    strings = ["".join(rng.choices(SAFE, k=rng.randint(1, 200))) for _ in range(count - half)]
    return digests + strings


def value_for(key: str) -> bytes:
    return random.Random(key).randbytes(64) + key.encode()  # binary, and unique per key


def fetch(edge: httpx.Client, key: str) -> httpx.Response:
    """GET the key through nginx (/get?k=KEY, unescaped)."""
    assert set(key) <= set(SAFE), key
    return edge.get(f"/get?k={key}")


def fetch_all(edge: httpx.Client, keys: list[str]) -> dict[str, httpx.Response]:
    return {key: fetch(edge, key) for key in keys}


def items_per_node(nodes: list[str]) -> list[int]:
    counts = []
    for node in nodes:
        with closing(Client(node)) as client:
            counts.append(int(client.stats()[b"curr_items"]))
    return counts


def test_nginx_reads_every_key_python_wrote(edge: httpx.Client, empty: list[str]) -> None:
    keys = sample_keys(3000)
    with closing(HashClient(empty, hasher=NginxKetamaHasher)) as writer:
        assert not writer.set_many({key: value_for(key) for key in keys}, noreply=False)

    responses = fetch_all(edge, keys)

    wrong = {key: r.status_code for key, r in responses.items() if r.status_code != 200}
    assert not wrong, f"{len(wrong)} of {len(keys)} keys not found through nginx"
    assert all(r.content == value_for(key) for key, r in responses.items())
    # and nginx spread them over all three nodes, so agreement was not trivial
    assert all(600 < count < 1400 for count in items_per_node(empty))


def test_pymemcache_default_ring_disagrees_with_nginx(edge: httpx.Client, empty: list[str]) -> None:
    """The contrast that shows the test above can fail: rendezvous hashing, nginx can't find most."""
    keys = sample_keys(3000)
    with closing(HashClient(empty, hasher=RendezvousHash)) as writer:
        assert not writer.set_many({key: value_for(key) for key in keys}, noreply=False)

    responses = fetch_all(edge, keys)

    missing = sum(r.status_code == 404 for r in responses.values())
    assert missing > 0.5 * len(keys)  # about 2/3: a 1-in-3 chance to agree by luck
    assert all(r.content == value_for(k) for k, r in responses.items() if r.status_code == 200)


def test_django_cache_writes_where_nginx_reads(
    request: pytest.FixtureRequest, settings, edge: httpx.Client, empty: list[str]
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "herdcache.backends.PyMemcacheCache", "LOCATION": empty}
    }
    cache = caches["default"]
    assert isinstance(cache._cache.hasher, NginxKetamaHasher)
    ring = KetamaRing([nginx_server_name(node) for node in empty])
    raw = {node: Client(node) for node in empty}
    seen_nodes = set()
    request.addfinalizer(lambda: [client.close() for client in raw.values()])

    for i in range(300):
        name = f"/wall/{i}?page={i % 7}"
        body = value_for(name)
        cache.set(name, body)  # bytes are stored raw (flags 0): what nginx returns
        key = cache.make_key(name)
        node = ring.node_for(key)
        seen_nodes.add(node)
        assert raw[node].get(key) == body
        assert all(raw[other].get(key) is None for other in empty if other != node)
        response = fetch(edge, key)
        assert (response.status_code, response.content) == (200, body)
        assert cache.get(name) == body

    assert seen_nodes == set(empty)


def test_options_can_still_choose_another_hasher(settings, nodes: list[str]) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "herdcache.backends.PyMemcacheCache",
            "LOCATION": nodes,
            "OPTIONS": {"hasher": RendezvousHash},
        }
    }
    assert isinstance(caches["default"]._cache.hasher, RendezvousHash)


def test_nginx_fixture_reports_a_bad_config() -> None:
    with pytest.raises(RuntimeError, match="nginx rejects"):
        next(run_nginx(lambda port, prefix: nginx_config(prefix, "no_such_directive on;")))


def test_nginx_fixture_stops_nginx(nodes: list[str]) -> None:
    runner = run_nginx(lambda port, prefix: nginx_config(prefix, f"server {{ listen {port}; }}"))
    server: Server = next(runner)
    assert server.proc is not None and server.proc.poll() is None
    runner.close()
    assert server.proc.poll() is not None
