"""crowdwall.webhook_asgi: under ASGI a webhook request over the size limit is answered 413
before its body is read — driven directly with a body that never comes, and on a real uvicorn
server with a raw socket that declares 99,999,999,999 bytes and sends 2."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.urls import reverse

from crowdwall.sources.webhook import signature_headers
from crowdwall.webhook_asgi import WebhookBodyLimit
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import ROOT, AsgiServer, _env, start_asgi

SECRET = "asgi-hook-s3cret"
LIMIT = 262_144  # the default WEBHOOK_MAX_BYTES


class Inner:
    """The wrapped application: records what reached it (it must not, when refused)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": headers}


def call(app: Any, scope: dict, messages: list[dict]) -> list[dict]:
    """Run ``app`` with ``messages`` to receive, then nothing ever again; what it sent."""

    async def run() -> list[dict]:
        sent: list[dict] = []
        queue: asyncio.Queue[dict] = asyncio.Queue()
        for message in messages:
            queue.put_nowait(message)

        async def send(message: dict) -> None:
            sent.append(message)

        await asyncio.wait_for(app(scope, queue.get, send), 5)  # a read past them blocks
        return sent

    return asyncio.run(run())


def hook_path(pk: int = 1) -> str:
    return reverse("crowdwall:crowdwall-webhook", args=[pk])


def test_a_declared_length_over_the_limit_is_413_without_reading_anything():
    inner = Inner()
    headers = [(b"content-length", b"99999999999"), (b"content-type", b"application/json")]
    sent = call(WebhookBodyLimit(inner), scope(hook_path(), headers), [])  # no body ever
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"
    assert inner.bodies == []


def test_a_chunked_body_is_refused_once_it_passes_the_limit():
    inner = Inner()
    chunk = {"type": "http.request", "body": b"x" * 100_000, "more_body": True}
    headers = [(b"transfer-encoding", b"chunked")]
    sent = call(WebhookBodyLimit(inner), scope(hook_path(), headers), [chunk, chunk, chunk])
    assert sent[0]["status"] == 413 and inner.bodies == []


def test_a_body_within_the_limit_reaches_the_view_whole():
    inner = Inner()
    parts = [b'{"posts": ', b"[]}"]
    messages = [
        {"type": "http.request", "body": parts[0], "more_body": True},
        {"type": "http.request", "body": parts[1], "more_body": False},
    ]
    headers = [(b"content-length", b"13")]
    sent = call(WebhookBodyLimit(inner), scope(hook_path(), headers), messages)
    assert sent[0]["status"] == 200 and inner.bodies == [b"".join(parts)]


@pytest.mark.parametrize("path", ["/walls/djangocon/", "/api/walls/", "/no/such/page/"])
def test_other_paths_are_not_limited_here(path):
    inner = Inner()
    headers = [(b"content-length", b"300000")]
    body = {"type": "http.request", "body": b"x" * 300_000, "more_body": False}
    sent = call(WebhookBodyLimit(inner), scope(path, headers), [body])
    assert sent[0]["status"] == 200 and len(inner.bodies[0]) == 300_000


def test_the_limit_is_the_setting_read_at_use_time(settings):
    settings.CROWDWALL = {"WEBHOOK_MAX_BYTES": 10}
    inner = Inner()
    sent = call(WebhookBodyLimit(inner), scope(hook_path(), [(b"content-length", b"11")]), [])
    assert sent[0]["status"] == 413
    assert b"bigger than 10 bytes" in sent[1]["body"]


# -- a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AsgiServer, int]]:
    """uvicorn serving crowdwall's URLs (``tests.crowdwall.live.asgi``, wired like the example)
    with one webhook source; yields the server and the source's id."""
    tmp = tmp_path_factory.mktemp("webhook-asgi")
    env = {
        **_env(tmp / "live.sqlite3", None, "hookasgi"),
        "DJANGO_SETTINGS_MODULE": "tests.crowdwall.api.server_settings",
        "CROWDWALL_TEST_API_TOKEN": "webhook-asgi-token-0123456789",
    }
    create = (
        "from crowdwall.models import Source, Wall; "
        "wall = Wall.objects.create(name='hooked', slug='hooked', hashtags=['djangocon']); "
        f"print(Source.objects.create(wall=wall, name='hook', kind='webhook', secret={SECRET!r}).pk)"
    )
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [*django, "shell", "-c", create], cwd=ROOT, env=env, check=True, capture_output=True
    )
    server = start_asgi(env, tmp / "uvicorn.log")
    yield server, int(made.stdout.split()[-1])
    server.stop()


@pytest.mark.slow
def test_uvicorn_refuses_a_huge_declared_length_at_once(hook_server):
    server, pk = hook_server
    request = (
        f"POST /hooks/{pk}/ HTTP/1.1\r\nHost: {server.base}\r\n"
        "Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)  # times out (fails) if the server waits for the body
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 4.0  # generous (loaded CI); waiting for the body = 5 s
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.slow
def test_uvicorn_still_stores_a_signed_delivery(hook_server):
    server, pk = hook_server
    body = json.dumps({"posts": [make_post(1), make_post(2)]}).encode()
    headers = {"Content-Type": "application/json", **signature_headers(SECRET, body)}
    response = httpx.post(f"http://{server.base}/hooks/{pk}/", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert httpx.get(f"http://{server.base}/test/walls/hooked/count/").json() == {"posts": 2}
