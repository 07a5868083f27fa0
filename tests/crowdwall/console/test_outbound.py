""" "Test this source" reaches public addresses only (``crowdwall.sources.outbound``): loopback,
private, link-local and the like are refused with a clear message and never contacted, redirect
hops included, unless ``SOURCE_TEST_ALLOWED_NETWORKS`` opens them (the tests' settings open
127.0.0.0/8 for the fake servers)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from crowdwall.sources import outbound
from crowdwall.sources.http import http_client
from tests.crowdwall.console.test_source_views import NEW, source_data
from tests.crowdwall.fakes.feeds import FeedServer
from tests.crowdwall.fakes.jetstream import FakeJetstream

pytestmark = pytest.mark.django_db

REFUSED = "not reachable from this server"


@pytest.fixture
def closed(settings):
    """The default policy: nothing but public addresses."""
    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": []}


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with FeedServer(format="rss") as server:
        server.add("1", title="Hello", html="<p>#DjangoCon</p>", author="Ann")
        yield server


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::"],
)  # fmt: skip
def test_non_public_addresses_are_refused(closed, address):
    assert outbound.refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(closed, address):
    assert outbound.refusal(ipaddress.ip_address(address)) == ""


def test_allowed_networks_open_what_they_name(settings):
    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": ["10.0.0.0/8"]}
    assert outbound.refusal(ipaddress.ip_address("10.9.9.9")) == ""
    assert outbound.refusal(ipaddress.ip_address("192.168.0.1"))


def test_a_feed_on_loopback_is_refused_and_never_contacted(closed, organiser, wall, feed):
    for url in (feed.url, feed.url.replace("127.0.0.1", "localhost")):
        html = organiser.post(NEW, source_data(url=url, test="1")).content.decode()
        assert 'data-test-result="error"' in html and REFUSED in html, url
    assert feed.requests == [] and feed.robots_requests == []


def test_mastodon_and_bluesky_endpoints_are_refused(closed, organiser, wall):
    masto = source_data(name="m", kind="mastodon", url="http://10.0.0.7/", config="")
    html = organiser.post(NEW, {**masto, "hashtags": "djangocon", "test": "1"}).content.decode()
    assert REFUSED in html and "10.0.0.7 is a private address" in html
    with FakeJetstream() as jetstream:
        sky = source_data(name="s", kind="bluesky", url=jetstream.url, test="1")
        html = organiser.post(NEW, sky).content.decode()
        assert REFUSED in html and "loopback" in html
        assert jetstream.connections == []


class _Redirect(BaseHTTPRequestHandler):
    target = ""
    protocol_version = "HTTP/1.1"  # websockets reads nothing older

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_redirect_to_a_refused_address_is_refused(settings, organiser, wall, feed):
    """127.0.0.1 is opened, 127.0.0.2 (loopback too) is not: the redirect hop is checked."""
    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    _Redirect.target = feed.url.replace("127.0.0.1", "127.0.0.2")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        html = organiser.post(NEW, source_data(url=url, test="1")).content.decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'data-test-result="error"' in html
    assert "127.0.0.2 is a loopback address" in html
    assert feed.requests == []


def test_a_websocket_redirect_to_a_refused_address_is_refused(settings, organiser, wall):
    """websockets follows a handshake's redirect itself: the hop is checked as well."""
    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    with FakeJetstream() as jetstream:
        _Redirect.target = jetstream.url.replace("127.0.0.1", "127.0.0.2")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"ws://127.0.0.1:{server.server_address[1]}/subscribe"
            sky = source_data(name="s", kind="bluesky", url=url, test="1")
            html = organiser.post(NEW, sky).content.decode()
        finally:
            server.shutdown()
            server.server_close()
        assert jetstream.connections == []
    assert REFUSED in html and "127.0.0.2 is a loopback address" in html


def test_clients_outside_a_test_are_not_guarded(closed, feed):
    """The stream's own fetches keep reaching sources on the organiser's network."""

    async def fetch() -> int:
        async with http_client() as client:
            return (await client.get(feed.url)).status_code

    assert asyncio.run(fetch()) == 200

    async def guarded_fetch() -> None:
        with outbound.guarded():
            async with http_client() as client:
                await client.get(feed.url)

    with pytest.raises(httpx.ConnectError, match="loopback"):
        asyncio.run(guarded_fetch())
