"""The webhook's size limit under ASGI, enforced before Django reads the body.

Django's ``ASGIHandler`` reads a request's whole body (spooling it to disk past
``FILE_UPLOAD_MAX_MEMORY_SIZE``) before any view runs, so the webhook view's own
``Content-Length`` check comes too late there: a request declaring 99,999,999,999 bytes and
sending 2 keeps the server waiting for the rest. ``WebhookBodyLimit`` wraps the ``http``
application and, for requests to the webhook view (``crowdwall.webhooks.webhook``) only:

- answers **413** at once, without reading anything, when ``Content-Length`` declares more than
  ``CROWDWALL["WEBHOOK_MAX_BYTES"]``;
- otherwise reads the body itself, answering 413 as soon as more than the limit has arrived
  (chunked bodies, which declare nothing), and hands Django the body it read.

The answer is the view's own (``{"error": {"code": "too_large", ...}}``). Under WSGI nothing is
needed: the view checks the declared length before it reads. This works on servers that pass the
body on as it arrives (uvicorn); daphne (Twisted) reads the whole body before calling any
application, so there the proxy in front must refuse it (nginx's ``client_max_body_size``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.core.handlers.asgi import get_script_prefix
from django.urls import Resolver404, resolve

from crowdwall.conf import conf

__all__ = ["WebhookBodyLimit"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", ())}


def _declared_length(headers: dict[bytes, bytes]) -> int | None:
    """The ``Content-Length`` as an int; None when absent or not a number (the view decides)."""
    value = headers.get(b"content-length", b"").strip()
    return int(value) if value.isdigit() else None


def _is_webhook(scope: Scope) -> bool:
    """Whether this request is routed to the webhook view."""
    from crowdwall.webhooks import webhook

    path = scope["path"]
    prefix = get_script_prefix(scope)
    if prefix and path.startswith(prefix):
        path = path.removeprefix(prefix)
    try:
        return resolve(path).func is webhook
    except Resolver404:
        return False


async def _too_large(send: Send, limit: int) -> None:
    from crowdwall.webhooks import too_large

    response = too_large(limit)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [
                (b"content-type", response["Content-Type"].encode("latin-1")),
                (b"content-length", str(len(response.content)).encode("ascii")),
                # The body was not read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": response.content})


class WebhookBodyLimit:
    """ASGI middleware: webhook requests larger than ``WEBHOOK_MAX_BYTES`` get 413 before
    their body is read (see the module docstring)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        # Only requests with a body are looked at (a plain GET declares none): no URL
        # resolution for the site's ordinary traffic.
        has_body = b"content-length" in headers or b"transfer-encoding" in headers
        if not has_body or not _is_webhook(scope):
            await self.app(scope, receive, send)
            return
        limit = conf.WEBHOOK_MAX_BYTES
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # more than declared, or nothing declared (chunked)
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one message, then whatever the server sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
