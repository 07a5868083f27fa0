"""crowdwall's nchan blocks in herdcache's generated nginx config: ``manage.py herdcache nginx``
prints a config nginx accepts; Origins follow ALLOWED_HOSTS; the publisher is loopback-only;
several nginx servers sharing Redis deliver a post published to any one of them."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from crowdwall.live.nchan_config import origin_pattern
from herdcache.edge.nginx import NginxConfigError
from tests.crowdwall.live.nchan.conftest import ORIGIN, receive_json
from tests.fixtures.nchan import NchanEdge, run_nchan
from tests.fixtures.nginx_generated import nginx_check
from tests.fixtures.servers import Server, free_port

EXTENSION = "crowdwall.live.nchan_config.nchan_extension"


def command_config(settings, tmp_path: Path, *args: str, **crowdwall: object) -> str:
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "EDGE_SERVERS": ["127.0.0.1:11211"],
        "EDGE_NGINX_EXTENSIONS": [EXTENSION],
    }
    settings.CROWDWALL = {"NCHAN_PUBLISH_URL": "http://127.0.0.1:8089/_nchan/pub/", **crowdwall}
    out = io.StringIO()
    call_command(
        "herdcache", "nginx", "--prefix", str(tmp_path), *args, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


VARIANTS = {
    "memory": ((), {}),
    "redis": ((), {"NCHAN_REDIS_URL": "redis://127.0.0.1:6379/0"}),
    "local-tier": (("--local-ttl", "5"), {}),
    "publisher-on-public-port": ((), {"NCHAN_PUBLISH_URL": "http://127.0.0.1:8080/_pub/"}),
    "prefix": ((), {"NCHAN_SUBSCRIBE_PREFIX": "/push/v1/"}),
}


@pytest.mark.parametrize(("args", "crowdwall"), VARIANTS.values(), ids=VARIANTS.keys())
def test_command_prints_a_config_nginx_accepts(settings, tmp_path: Path, args, crowdwall):
    config = command_config(settings, tmp_path, *args, **crowdwall)
    assert "nchan_subscriber websocket eventsource;" in config
    assert "nchan_subscriber_first_message newest;" in config
    assert "nchan_authorize_request /_crowdwall_live_authorize/$crowdwall_moderate;" in config
    path = tmp_path / "nginx.conf"
    path.write_text(config)
    checked = nginx_check(path, tmp_path)
    assert checked.returncode == 0, checked.stderr + config


def test_publisher_shares_the_public_server_only_on_its_port(settings, tmp_path: Path):
    separate = command_config(settings, tmp_path)
    assert "listen 127.0.0.1:8089;" in separate
    same = command_config(settings, tmp_path, NCHAN_PUBLISH_URL="http://127.0.0.1:8080/_pub/")
    assert same.count("listen ") == 1 and "location ~ ^/_pub/(?<crowdwall_channel>" in same


@pytest.mark.parametrize(
    "crowdwall",
    [
        {"NCHAN_PUBLISH_URL": ""},
        {"NCHAN_PUBLISH_URL": "https://127.0.0.1:8089/pub/"},
        {"NCHAN_PUBLISH_URL": "http://127.0.0.1/pub/"},  # no port
        {"NCHAN_PUBLISH_URL": "http://127.0.0.1:8089/live/pub/"},  # inside the public prefix
        {"NCHAN_SUBSCRIBE_PREFIX": "live"},
        {"NCHAN_SUBSCRIBE_PREFIX": "/live;/"},
        {"NCHAN_PUBLISH_ALLOW": ["everyone"]},
        {"NCHAN_REDIS_URL": "redis://h:1/0; daemon on"},
    ],
)
def test_bad_settings_are_command_errors(settings, tmp_path: Path, crowdwall):
    with pytest.raises(CommandError):
        command_config(settings, tmp_path, **crowdwall)


@pytest.mark.parametrize(
    ("hosts", "allowed", "refused"),
    [
        (
            ["example.com", "127.0.0.1"],
            ["http://example.com", "https://EXAMPLE.com:8443", "http://127.0.0.1:8000"],
            ["http://www.example.com", "http://example.com.evil.test", "http://127.0.0.10"],
        ),
        (
            [".example.org"],
            ["https://example.org", "https://a.b.example.org"],
            ["https://badexample.org", "https://example.org.evil.test", "null"],
        ),
        (["[::1]"], ["http://[::1]:8000"], ["http://[::2]"]),
        ([], [], ["http://localhost"]),
    ],
)
def test_origins_follow_allowed_hosts(hosts, allowed, refused):
    pattern = origin_pattern(hosts)
    assert pattern is not None
    for origin in allowed:
        assert re.search(pattern, origin, re.IGNORECASE), origin
    for origin in refused:
        assert not re.search(pattern, origin, re.IGNORECASE), origin


def test_any_host_means_any_origin():
    assert origin_pattern(["example.com", "*"]) is None
    with pytest.raises(NginxConfigError):
        origin_pattern(['evil"host'])


def test_publisher_is_refused_outside_the_allowed_addresses(
    memcached_server: Server,
) -> None:
    for edge in run_nchan(
        django="127.0.0.1:9",
        publish_port=free_port(),
        memcached=memcached_server.address,
        publish_allow=("10.0.0.0/8",),
    ):
        reply = httpx.post(edge.publish_url + "wall.x", content=b"{}", timeout=10)
        assert reply.status_code == 403
        # The public port has no publisher at all.
        reply = httpx.post(edge.http_url("/_nchan/pub/wall.x"), content=b"{}", timeout=10)
        assert reply.status_code != 201 and reply.status_code != 202


@pytest.fixture(scope="module")
def redis_pair(memcached_server: Server, redis_server: Server) -> Iterator[list[NchanEdge]]:
    """Two nginx servers sharing nchan channels through one Redis."""
    url = f"redis://{redis_server.address}/0"
    options = {"django": "127.0.0.1:9", "memcached": memcached_server.address, "redis_url": url}
    first = run_nchan(publish_port=free_port(), **options)
    second = run_nchan(publish_port=free_port(), **options)
    try:
        yield [next(first), next(second)]
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_servers_sharing_redis_deliver_each_others_posts(redis_pair: list[NchanEdge]):
    publisher, subscriber = redis_pair
    frame = {"type": "post.new", "id": 7, "post": {"id": 7}, "at": 1_700_000_000_000}

    async def delivered(http: httpx.AsyncClient) -> bool:
        try:
            ws = await connect(subscriber.ws_url("shared"), origin=ORIGIN)  # type: ignore[arg-type]
        except InvalidStatus as exc:  # 503 while nginx's Redis connection starts
            assert exc.response.status_code == 503
            return False
        async with ws:
            # Redis subscriptions are asynchronous: publish until the first one arrives.
            for _ in range(10):
                reply = await http.post(
                    publisher.publish_url + "wall.shared", content=json.dumps(frame)
                )
                assert reply.status_code in (201, 202), reply.text
                try:
                    assert await receive_json(ws, timeout=0.3) == frame
                    return True
                except TimeoutError:
                    continue
        return False

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(10):
                if await delivered(http):
                    return
                await asyncio.sleep(0.2)
        raise AssertionError("never delivered across servers")

    asyncio.run(scenario())
