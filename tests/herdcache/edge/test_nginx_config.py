"""The generated nginx config, run as it is by a real nginx against a real memcached.

A tiny HTTP server stands in for Django and echoes the key header it receives; edge copies are
put into memcached by hand (gzip bytes, ``EDGE_GZIP_FLAG``) under md5(host + request URI).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pymemcache.client.base import Client

from herdcache.conf import DEFAULTS
from herdcache.edge import store
from herdcache.edge.nginx import NginxConfigError, render_config
from tests.fixtures.nginx import nginx_config, run_nginx
from tests.fixtures.nginx_generated import (
    EchoUpstream,
    Reply,
    echo_upstream,
    fetch,
    nginx_check,
    run_generated,
)
from tests.fixtures.servers import Server, free_port

FLAG = DEFAULTS["EDGE_GZIP_FLAG"]
KEY_HEADER = DEFAULTS["EDGE_KEY_HEADER"]
HOST = "example.com"
HTML = "text/html; charset=utf-8"
TYPES = {"/p/": HTML, "/api/": "application/json", "/api/feeds/": "application/rss+xml"}
GZIP = {"Accept-Encoding": "gzip"}

as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


def key(uri: str, host: str = HOST) -> str:
    return hashlib.md5(f"{host}{uri}".encode()).hexdigest()


def unique(prefix: str = "/p/") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}/"


@pytest.fixture(scope="module")
def memcached(memcached_server: Server) -> Iterator[Client]:
    """A raw client (bytes in, bytes out) on the session memcached."""
    with closing(Client(memcached_server.address)) as client:
        yield client


def put(client: Client, uri: str, body: bytes, host: str = HOST) -> str:
    """Write an edge copy the way herdcache does; the key it went under."""
    client.set(key(uri, host), gzip.compress(body), flags=FLAG, noreply=False)
    return key(uri, host)


@pytest.fixture(scope="module")
def upstream() -> Iterator[EchoUpstream]:
    yield from echo_upstream()


def generated(**options: object):
    """A ``(port, prefix) -> config`` factory for ``run_generated``, with a static file."""

    def render(port: int, prefix: Path) -> str:
        (prefix / "static").mkdir(exist_ok=True)
        (prefix / "static" / "app.css").write_text("body{}")
        arguments = {
            "types": TYPES,
            "static_url": "/static/",
            "static_root": str(prefix / "static"),
            "worker_processes": 1,
            **options,
        }
        return render_config(listen=f"127.0.0.1:{port}", prefix=str(prefix), **arguments)

    return render


def start(**options: object) -> Iterator[Server]:
    yield from run_generated(generated(**options))


@pytest.fixture(scope="module")
def edge(memcached_server: Server, upstream: EchoUpstream) -> Iterator[Server]:
    yield from start(upstream=upstream.address, servers=[memcached_server.address])


@pytest.fixture(scope="module")
def local(memcached_server: Server, upstream: EchoUpstream) -> Iterator[Server]:
    """The two-tier config: a 60 s proxy_cache in front of the memcached tier."""
    yield from start(upstream=upstream.address, servers=[memcached_server.address], local_ttl=60)


# --- nginx accepts what we generate -------------------------------------------------------

VARIANTS = {
    "full": {},
    "local-tier": {"local_ttl": 5, "purge_allow": ["127.0.0.1", "10.0.0.0/8"]},
    "several-memcached": {"servers": ["127.0.0.1:11211", "127.0.0.1:11212", "[::1]:11213"]},
    "root-prefix-only": {"types": {"/": HTML}, "user": "nobody", "server_names": ["a.example"]},
    "no-purge-from-anywhere": {"local_ttl": 5, "purge_allow": []},
    "cache-status": {"cache_status": True, "types": {"/p/": HTML}},
    "cache-status-local-tier": {"cache_status": True, "local_ttl": 5},
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_nginx_accepts_the_full_config(variant: dict, tmp_path: Path):
    options = {"upstream": "127.0.0.1:8000", "servers": ["127.0.0.1:11211"], **variant}
    path = tmp_path / "nginx.conf"
    path.write_text(generated(**options)(8080, tmp_path))
    checked = nginx_check(path, tmp_path)
    assert checked.returncode == 0, checked.stderr + path.read_text()


@pytest.mark.parametrize("local_ttl", [0, 5], ids=["edge", "local-tier"])
def test_server_block_goes_inside_an_existing_http_block(local_ttl: int, tmp_path: Path):
    block = render_config(
        listen="127.0.0.1:8080",
        upstream="127.0.0.1:8000",
        servers=["127.0.0.1:11211"],
        prefix=str(tmp_path),
        local_ttl=local_ttl,
        server_block_only=True,
    )
    assert not MAIN_CONTEXT.search(uncommented(block))
    (tmp_path / "edge.conf").write_text(block)
    modules = ["ndk_http_module.so", "ngx_http_set_misc_module.so"]
    modules += ["ngx_http_cache_purge_module.so"] if local_ttl else []
    (tmp_path / "temp").mkdir()  # the wrapper's temp folders live there
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(nginx_config(tmp_path, f"    include {tmp_path / 'edge.conf'};", modules))
    checked = nginx_check(wrapper, tmp_path)
    assert checked.returncode == 0, checked.stderr + block


MAIN_CONTEXT = re.compile(r"^\s*(load_module|user|pid|error_log|events|http)\b", re.MULTILINE)


def uncommented(config: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in config.splitlines())


def test_included_server_block_serves_edge_hits(
    memcached: Client, memcached_server: Server, upstream: EchoUpstream
):
    """The ``--server-block`` output, included into a host config nobody generated, runs."""

    def config(port: int, prefix: Path) -> str:
        block = render_config(
            listen=f"127.0.0.1:{port}",
            upstream=upstream.address,
            servers=[memcached_server.address],
            server_block_only=True,
        )
        (prefix / "edge.conf").write_text(block)
        modules = ["ndk_http_module.so", "ngx_http_set_misc_module.so"]
        return nginx_config(prefix, f"    include {prefix / 'edge.conf'};", modules)

    uri = unique()
    put(memcached, uri, b"<p>included</p>")
    with contextmanager(run_nginx)(config) as nginx:
        reply = fetch(nginx.port, uri)
    assert (reply.status, reply.body) == (200, b"<p>included</p>")
    assert reply.headers["X-Herdcache"] == "edge"


# --- edge hits ----------------------------------------------------------------------------


def test_hit_is_served_gzip_to_gzip_clients(edge: Server, memcached: Client):
    uri = unique() + "?page=2&x=%20y"
    put(memcached, uri, b"<p>hello</p>")
    reply = fetch(edge.port, uri, headers=GZIP)
    assert reply.status == 200
    assert reply.headers["X-Herdcache"] == "edge"
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Vary"] == "Accept-Encoding"
    assert reply.headers["Content-Type"] == HTML
    assert gzip.decompress(reply.body) == b"<p>hello</p>"


def test_hit_is_decompressed_for_clients_without_gzip(edge: Server, memcached: Client):
    uri = unique()
    put(memcached, uri, b"<p>plain</p>" * 100)
    reply = fetch(edge.port, uri)
    assert reply.headers["X-Herdcache"] == "edge"
    assert "Content-Encoding" not in reply.headers
    assert reply.body == b"<p>plain</p>" * 100


def test_head_is_served_from_the_edge(edge: Server, memcached: Client):
    uri = unique()
    put(memcached, uri, b"<p>head</p>")
    reply = fetch(edge.port, uri, method="HEAD", headers=GZIP)
    assert (reply.status, reply.body, reply.headers["X-Herdcache"]) == (200, b"", "edge")


@pytest.mark.parametrize(
    ("prefix", "content_type"),
    [
        ("/p/", HTML),
        ("/api/", "application/json"),
        ("/api/feeds/", "application/rss+xml"),  # longest prefix wins over /api/
    ],
)
def test_content_type_comes_from_the_longest_prefix(
    edge: Server, memcached: Client, prefix: str, content_type: str
):
    uri = unique(prefix)
    put(memcached, uri, b"{}")
    reply = fetch(edge.port, uri)
    assert reply.headers["X-Herdcache"] == "edge"
    assert reply.headers["Content-Type"] == content_type


def test_hosts_do_not_share_edge_copies(edge: Server, memcached: Client, upstream: EchoUpstream):
    uri = unique()
    put(memcached, uri, b"<p>a</p>", host="a.example")
    assert fetch(edge.port, uri, host="a.example:8080").body == b"<p>a</p>"  # $host: no port
    other = fetch(edge.port, uri, host="b.example")
    assert other.body.decode() == f"upstream GET {uri} key={key(uri, 'b.example')}"


def test_static_files_come_from_static_root(edge: Server):
    reply = fetch(edge.port, "/static/app.css")
    assert (reply.status, reply.body) == (200, b"body{}")
    assert reply.headers["Content-Type"] == "text/css"


def test_what_the_django_side_writes_is_what_nginx_serves(
    edge: Server, memcached_server: Server, settings
):
    """herdcache.edge.store's key, gzip body and flag, read back through the generated config."""
    settings.HERDCACHE = {**settings.HERDCACHE, "EDGE_SERVERS": [memcached_server.address]}
    uri = unique() + "?q=1"
    body = store.edge_body("/p/", [("Content-Type", HTML)], b"<p>from django</p>", vary=[])
    assert body is not None
    assert store.write(store.nginx_key(HOST, uri), body, ttl=60)
    reply = fetch(edge.port, uri)
    assert (reply.headers["X-Herdcache"], reply.body) == ("edge", b"<p>from django</p>")


# --- misses and bypasses go to Django, with the key -----------------------------------------


def test_miss_goes_to_django_with_the_key(edge: Server, upstream: EchoUpstream):
    uri = unique() + "?q=%C3%A9"
    reply = fetch(edge.port, uri, headers=GZIP)
    assert reply.status == 200
    assert "X-Herdcache" not in reply.headers
    assert reply.body.decode() == f"upstream GET {uri} key={key(uri)}"
    seen = upstream.seen[-1]
    assert seen.headers[KEY_HEADER.lower()] == key(uri)
    assert seen.headers["host"] == HOST
    assert seen.headers["x-forwarded-for"] == "127.0.0.1"
    assert seen.headers["x-forwarded-proto"] == "http"


BYPASSES = {
    "session cookie": {"Cookie": "sessionid=abc"},
    "csrf cookie among others": {"Cookie": "theme=dark; csrftoken=xyz"},
    "authorization": {"Authorization": "Bearer token"},
}


@pytest.mark.parametrize("headers", BYPASSES.values(), ids=BYPASSES.keys())
def test_bypass_goes_to_django_even_when_the_edge_has_the_page(
    edge: Server, memcached: Client, headers: dict[str, str]
):
    uri = unique()
    put(memcached, uri, b"<p>for anonymous visitors</p>")
    reply = fetch(edge.port, uri, headers=headers)
    assert "X-Herdcache" not in reply.headers
    assert reply.body.decode() == f"upstream GET {uri} key={key(uri)}"


def test_other_cookies_do_not_bypass(edge: Server, memcached: Client):
    uri = unique()
    put(memcached, uri, b"<p>edge</p>")
    reply = fetch(edge.port, uri, headers={"Cookie": "theme=dark; mysessionid=1"})
    assert reply.headers["X-Herdcache"] == "edge"


def test_post_goes_to_django_with_its_body(edge: Server, memcached: Client, upstream: EchoUpstream):
    uri = unique()
    put(memcached, uri, b"<p>edge</p>")
    reply = fetch(edge.port, uri, method="POST", body=b"a=1&b=2")
    assert reply.body.decode() == f"upstream POST {uri} key={key(uri)}"
    assert upstream.seen[-1].body == b"a=1&b=2"


def test_a_clients_own_key_header_never_reaches_django(edge: Server, upstream: EchoUpstream):
    uri = unique()
    fetch(edge.port, uri, headers={KEY_HEADER: key("/victim/")})
    assert upstream.seen[-1].headers[KEY_HEADER.lower()] == key(uri)
    fetch(edge.port, "/outside/", headers={KEY_HEADER: key("/victim/")})  # no edge prefix
    assert upstream.seen[-1].path == "/outside/"
    assert KEY_HEADER.lower() not in upstream.seen[-1].headers


# --- failures -----------------------------------------------------------------------------


def test_memcached_down_falls_back_to_django(upstream: EchoUpstream):
    nobody_listens = f"127.0.0.1:{free_port()}"
    with contextmanager(start)(upstream=upstream.address, servers=[nobody_listens]) as nginx:
        uri = unique()
        reply = fetch(nginx.port, uri)
    assert reply.status == 200
    assert reply.body.decode() == f"upstream GET {uri} key={key(uri)}"


def test_django_down_still_serves_edge_hits(memcached: Client, memcached_server: Server):
    nobody_listens = f"127.0.0.1:{free_port()}"
    with contextmanager(start)(
        upstream=nobody_listens, servers=[memcached_server.address]
    ) as nginx:
        uri = unique()
        put(memcached, uri, b"<p>still here</p>")
        hit, miss = fetch(nginx.port, uri), fetch(nginx.port, unique())
    assert (hit.status, hit.body) == (200, b"<p>still here</p>")
    assert miss.status == 502  # nothing can render it


# --- local proxy_cache tier ---------------------------------------------------------------


def local_status(reply: Reply) -> str | None:
    return reply.headers.get("X-Herdcache-Local")


def test_local_tier_serves_the_second_request_from_its_cache(local: Server, memcached: Client):
    uri = unique()
    put(memcached, uri, b"<p>hot</p>")
    first = fetch(local.port, uri, headers=GZIP)
    assert (local_status(first), first.headers["X-Herdcache"]) == ("MISS", "edge")
    memcached.delete(key(uri), noreply=False)  # from now on only the local copy has it
    second, plain = fetch(local.port, uri, headers=GZIP), fetch(local.port, uri)
    assert local_status(second) == local_status(plain) == "HIT"
    assert second.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(second.body) == b"<p>hot</p>"
    assert "Content-Encoding" not in plain.headers  # one gzip copy, gunzipped for this client
    assert plain.body == b"<p>hot</p>"
    assert plain.headers["Content-Type"] == HTML


def test_purge_evicts_the_local_copy(local: Server, memcached: Client, upstream: EchoUpstream):
    uri = unique() + "?a=1"
    put(memcached, uri, b"<p>old</p>")
    fetch(local.port, uri)
    memcached.delete(key(uri), noreply=False)  # what herdcache's purge does to the shared tier
    assert local_status(fetch(local.port, uri)) == "HIT"
    assert fetch(local.port, uri, method="PURGE").status == 200
    assert fetch(local.port, uri, method="PURGE").status == 404  # already gone
    after = fetch(local.port, uri)
    assert local_status(after) == "MISS"
    assert after.body.decode() == f"upstream GET {uri} key={key(uri)}"


def test_local_tier_never_caches_django_responses(local: Server, upstream: EchoUpstream):
    uri = unique()
    replies = [fetch(local.port, uri) for _ in range(2)]
    assert [local_status(reply) for reply in replies] == ["MISS", "MISS"]
    assert [seen.path for seen in upstream.seen[-2:]] == [uri, uri]
    assert upstream.seen[-1].headers[KEY_HEADER.lower()] == key(uri)
    assert upstream.seen[-1].headers["x-forwarded-for"] == "127.0.0.1"


def test_local_tier_bypasses_like_the_edge(local: Server, memcached: Client):
    uri = unique()
    put(memcached, uri, b"<p>anonymous</p>")
    fetch(local.port, uri)
    reply = fetch(local.port, uri, headers={"Cookie": "sessionid=1"})
    assert local_status(reply) == "BYPASS"
    assert reply.body.decode() == f"upstream GET {uri} key={key(uri)}"


@pytest.fixture(scope="module")
def brief(memcached_server: Server, upstream: EchoUpstream) -> Iterator[Server]:
    """A local tier whose copies expire after a second."""
    yield from start(upstream=upstream.address, servers=[memcached_server.address], local_ttl=1)


def past_local_ttl() -> None:
    time.sleep(2.1)  # nginx counts cache validity in whole seconds: 1 s can last almost 2


def test_after_its_ttl_the_local_copy_follows_the_edge(brief: Server, memcached: Client):
    """Refreshed from a new edge copy, and dropped (not served stale) once there is none."""
    updated, gone = unique(), unique()
    for uri in (updated, gone):
        put(memcached, uri, b"<p>old</p>")
        assert local_status(fetch(brief.port, uri)) == "MISS"
    put(memcached, updated, b"<p>new</p>")
    memcached.delete(key(gone), noreply=False)  # purged, or no longer cacheable
    past_local_ttl()
    assert fetch(brief.port, updated).body == b"<p>new</p>"
    replies = [fetch(brief.port, gone) for _ in range(3)]  # never the old copy again
    assert [reply.body.decode() for reply in replies] == [
        f"upstream GET {gone} key={key(gone)}"
    ] * 3


def test_local_copy_stands_in_when_django_is_down(memcached: Client, memcached_server: Server):
    nobody_listens = f"127.0.0.1:{free_port()}"
    options = {"upstream": nobody_listens, "servers": [memcached_server.address], "local_ttl": 1}
    with contextmanager(start)(**options) as nginx:
        uri = unique()
        put(memcached, uri, b"<p>last good</p>")
        fetch(nginx.port, uri)
        memcached.delete(key(uri), noreply=False)
        past_local_ttl()
        reply = fetch(nginx.port, uri)
    assert (reply.status, reply.body, local_status(reply)) == (200, b"<p>last good</p>", "STALE")


def test_purge_is_refused_from_other_addresses(
    memcached: Client, memcached_server: Server, upstream: EchoUpstream
):
    options = {"upstream": upstream.address, "servers": [memcached_server.address]}
    with contextmanager(start)(local_ttl=60, purge_allow=["10.9.9.9"], **options) as nginx:
        uri = unique()
        put(memcached, uri, b"<p>kept</p>")
        fetch(nginx.port, uri)
        refused = fetch(nginx.port, uri, method="PURGE")
        kept = fetch(nginx.port, uri)
    assert refused.status == 403
    assert local_status(kept) == "HIT"


# --- root and non-root ----------------------------------------------------------------------


@as_root_only
def test_runs_as_a_non_root_user(
    memcached: Client, memcached_server: Server, upstream: EchoUpstream
):
    """nginx started by nobody: a prefix it owns is all it needs (the rest above runs as root)."""
    render = generated(upstream=upstream.address, servers=[memcached_server.address], local_ttl=60)
    with contextmanager(run_generated)(render, as_user="nobody") as nginx:
        assert Path(f"/proc/{nginx.proc.pid}").stat().st_uid == 65534
        uri = unique()
        put(memcached, uri, b"<p>nobody</p>")
        first, second = fetch(nginx.port, uri), fetch(nginx.port, uri)
        purged = fetch(nginx.port, uri, method="PURGE")
        miss = fetch(nginx.port, unique())
    assert (first.body, local_status(first), local_status(second)) == (
        b"<p>nobody</p>",
        "MISS",
        "HIT",
    )
    assert purged.status == 200
    assert miss.body.decode().startswith("upstream GET")


# --- manage.py herdcache nginx --------------------------------------------------------------


def herdcache_nginx(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("herdcache", "nginx", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_command_prints_a_config_nginx_accepts(settings, tmp_path: Path):
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "EDGE_SERVERS": ["127.0.0.1"],
        "EDGE_TYPES": {"/": HTML, "/api/": "application/json"},
        "EDGE_BYPASS_COOKIES": None,
    }
    settings.SESSION_COOKIE_NAME = "my_session"
    settings.STATIC_URL = "/assets/"
    settings.STATIC_ROOT = str(tmp_path / "static")
    prefix = tmp_path / "prefix"
    config = herdcache_nginx("--listen", "127.0.0.1:9999", "--prefix", str(prefix))
    assert prefix.is_dir() and prefix.stat().st_mode & 0o777 == 0o755
    assert "server 127.0.0.1:11211;" in config  # the ketama ring's spelling of the name
    assert "(my_session|csrftoken)=" in config
    assert 'default_type "application/json";' in config
    assert f"alias {tmp_path / 'static'}/;" in config
    assert "proxy_cache" not in config
    (prefix / "nginx.conf").write_text(config)
    checked = nginx_check(prefix / "nginx.conf", prefix)
    assert checked.returncode == 0, checked.stderr


def test_command_options(settings, tmp_path: Path):
    settings.HERDCACHE = {**settings.HERDCACHE, "EDGE_LOCAL_TTL": 7}
    config = herdcache_nginx(
        "--memcached", "127.0.0.1:1", "127.0.0.1:2", "--upstream", "unix:/run/django.sock",
        "--prefix", str(tmp_path), "--server-block", "--purge-allow", "10.0.0.1",
    )  # fmt: skip
    assert "hash $memcached_key consistent;" in config
    assert "server unix:/run/django.sock;" in config
    assert "proxy_cache_valid 200 7s;" in config
    assert "allow 10.0.0.1;" in config
    assert not MAIN_CONTEXT.search(uncommented(config))
    no_local = herdcache_nginx(
        "--memcached", "127.0.0.1:1", "--local-ttl", "0", "--prefix", str(tmp_path)
    )
    assert "proxy_cache" not in no_local


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "localhost"], "listen"),
        (["--listen", ":8080"], "listen"),
        (["--upstream", "8000"], "upstream"),
        (["--listen", "127.0.0.1:99999"], "listen"),
        (["--upstream", "127.0.0.1:80; evil"], "upstream"),
        (["--memcached", "memcached:eleven"], "memcached server"),
        (["--local-ttl", "-1"], "local TTL"),
        (["--purge-allow", "everyone"], "purge allow"),
        (["--prefix", "relative/dir"], "prefix"),
    ],
)
def test_command_rejects_bad_input(args: list[str], message: str, tmp_path: Path):
    base = ["--memcached", "127.0.0.1:11211", "--prefix", str(tmp_path)]
    with pytest.raises(CommandError, match=message):
        herdcache_nginx(*base, *args)


def test_command_needs_memcached_servers(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with pytest.raises(CommandError, match="No memcached servers"):
        herdcache_nginx()


@as_root_only
def test_command_refuses_a_prefix_someone_else_owns(tmp_path: Path):
    planted = tmp_path / "planted"
    planted.mkdir()
    shutil.chown(planted, "nobody")
    with pytest.raises(CommandError, match="another user"):
        herdcache_nginx("--memcached", "127.0.0.1:11211", "--prefix", str(planted))


@pytest.mark.parametrize(
    "options",
    [
        {"types": {"p/": HTML}},
        {"types": {"/": 'text/html"; evil'}},
        {"bypass_cookies": ["a b"]},
        {"key_header": "X Key"},
        {"gzip_flag": 0},
        {"static_url": "/", "static_root": "/srv/static", "types": {"/": HTML}},
        {"servers": []},
        {"user": "nobody; daemon on"},
        {"prefix": "/tmp/with space"},
    ],
)
def test_render_config_rejects_unsafe_arguments(options: dict):
    arguments = {"listen": "8080", "upstream": "127.0.0.1:8000", "servers": ["127.0.0.1:11211"]}
    with pytest.raises(NginxConfigError):
        render_config(**{**arguments, **options})
