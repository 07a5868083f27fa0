"""Which addresses a fetch the *console* starts may reach: public ones only, by default.

"Test this source" (``crowdwall.console.sample``) fetches whatever URL an organiser types, from
the server, at once: without a guard that is a way into the server's own network (the cache,
the database's admin port, a cloud's metadata service at 169.254.169.254). So while a test
runs (``guarded()``), every HTTP request an adapter makes (redirect hops and robots.txt
included: ``http_client`` builds its clients on ``GuardedTransport`` then), every WebSocket hop
(``websocket_connect``, redirects included) and the source's configured endpoints
(``check_url``) must resolve to global addresses only; loopback, private, link-local, shared,
reserved, multicast and unspecified ones are refused (``OutboundRefused``, a ``SourceError``:
the organiser reads why), unless they fall in ``CROWDWALL["SOURCE_TEST_ALLOWED_NETWORKS"]``
(CIDRs; the tests' fake servers on 127.0.0.1 opt in there, as may a site whose Mastodon runs
in its own network).

The stream runner's fetches are not guarded: sources are configured by organisers and may
legitimately live on a LAN. Limits: the check resolves the host, then the HTTP client resolves
it again to connect, so a DNS answer that changes in between (rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from crowdwall.conf import conf
from crowdwall.exceptions import SourceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_guarded: contextvars.ContextVar[bool] = contextvars.ContextVar("outbound_guarded", default=False)
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


class OutboundRefused(SourceError):
    """A URL whose host is, or resolves to, an address the guard does not let us reach."""


@contextmanager
def guarded() -> Iterator[None]:
    """Guard every outbound request started within (tasks started within inherit it)."""
    token = _guarded.set(True)
    try:
        yield
    finally:
        _guarded.reset(token)


def is_guarded() -> bool:
    """Whether the current context's requests are guarded (``http_client`` asks)."""
    return _guarded.get()


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net, strict=False) for net in conf.SOURCE_TEST_ALLOWED_NETWORKS]


def refusal(address: Address) -> str:
    """Why ``address`` may not be reached ("" when it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in net for net in _allowed_networks()):
        return ""
    for kind, flagged in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("an unspecified", address.is_unspecified),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if flagged:
            return f"{address} is {kind} address"
    if not address.is_global:  # shared (100.64/10), documentation ranges...
        return f"{address} is not a public address"
    return ""


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise OutboundRefused(f"{url[:200]!r} names no host.")
    return parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)


def _literal(host: str) -> list[Address] | None:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return None


def _resolved(found: list[Any]) -> list[Address]:
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found]


def _judge(host: str, addresses: list[Address]) -> None:
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise OutboundRefused(
                f"{host} is not reachable from this server: {reason}. Only public addresses "
                "are fetched (CROWDWALL['SOURCE_TEST_ALLOWED_NETWORKS'] lists exceptions)."
            )


async def check_url(url: str) -> None:
    """``OutboundRefused`` if ``url``'s host is, or resolves to, a refused address; resolver
    failures propagate (``OSError``), as the connection would have failed the same way."""
    host, port = _host_port(url)
    addresses = _literal(host)
    if addresses is None:
        loop = asyncio.get_running_loop()
        addresses = _resolved(await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    _judge(host, addresses)


def check_url_sync(url: str) -> None:
    """``check_url`` for synchronous code (the schedule importer's fetch)."""
    host, port = _host_port(url)
    addresses = _literal(host)
    if addresses is None:
        addresses = _resolved(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    _judge(host, addresses)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that checks every request's host first (``check_url``). A refusal
    or a resolver failure is an ``httpx.ConnectError`` (naming why), as an unreachable host
    is: the adapters already handle that the way they should."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            await check_url(str(request.url))
        except (OutboundRefused, OSError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return await super().handle_async_request(request)


class GuardedSyncTransport(httpx.HTTPTransport):
    """``GuardedTransport`` for a synchronous ``httpx.Client``: every request (redirect hops
    included) is checked first. Schedule imports fetch through it, always: the address is typed
    by an organiser, like a source under test."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            check_url_sync(str(request.url))
        except (OutboundRefused, OSError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return super().handle_request(request)


class GuardedConnect(ws_connect):
    """websockets' ``connect``, checking the host of every hop first: it follows a handshake's
    redirects on its own (up to 10), each through ``open_tcp_connection``."""

    async def open_tcp_connection(self) -> ClientConnection:
        await check_url(self.uri)
        return await super().open_tcp_connection()


def websocket_connect(uri: str, **options: Any) -> ws_connect:
    """``websockets.asyncio.client.connect(uri, **options)``, guarded when the context is."""
    return (GuardedConnect if is_guarded() else ws_connect)(uri, **options)


def transport_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for an ``httpx.AsyncClient``, with a ``GuardedTransport`` when guarded (and
    no transport of the caller's own, such as a test's mock)."""
    if not is_guarded() or "transport" in options:
        return options
    return {**options, "transport": GuardedTransport(verify=options.get("verify", True))}
