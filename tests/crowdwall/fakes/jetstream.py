"""A fake Bluesky Jetstream: the ``/subscribe`` WebSocket on a free loopback port.

It speaks the wire protocol the adapter relies on: query parameters ``wantedCollections``,
``wantedDids`` (both repeatable), ``cursor`` (replay, in ``time_us`` order, from the first event
at or after it; without one, live tail: only events appended after connecting) and
``requireHello`` (nothing is sent until an ``options_update`` message arrives). Events go out as
JSON text frames encoded like Jetstream (Go) encodes them: compact, UTF-8, with ``<``, ``>``
and ``&`` escaped. Identity and account events pass the collection filter, as in Jetstream.

Controls for tests (callable from any thread)::

    with FakeJetstream() as fake:
        fake.append(post_event("did:plc:ann", "3k1", "Hi #DjangoCon", time_us=T0))
        fake.append_raw("{not json", b"binary")     # malformed frames, sent verbatim
        fake.cut_after(5, 12)     # the next connections drop (no close frame) after 5, 12 frames
        fake.cut_after(3, mid_frame=True)           # ... in the middle of the 4th frame
        fake.delay = 0.01          # slow sending: seconds before each frame
        fake.connections[0].params["cursor"]        # every connection is recorded

The server runs ``websockets``' asyncio server on its own event loop in a daemon thread.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

POST = "app.bsky.feed.post"


# Events, shaped like Jetstream's --------------------------------------------------------------


def encode(event: Mapping[str, Any]) -> str:
    """One event as Jetstream writes it (Go's encoding/json: HTML characters escaped)."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def post_event(
    did: str,
    rkey: str,
    text: str,
    *,
    time_us: int,
    operation: str = "create",
    created_at: str | None = "2025-05-14T09:00:00.000Z",
    langs: Iterable[str] | None = ("en",),
    collection: str = POST,
    rev: str | None = None,
    **record: Any,
) -> dict[str, Any]:
    """A commit event creating (or updating) a post; ``record`` adds fields (facets, embed...)."""
    body: dict[str, Any] = {"$type": POST}
    if created_at is not None:
        body["createdAt"] = created_at
    if langs is not None:
        body["langs"] = list(langs)
    body.update(record)
    body["text"] = text
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": rev or f"r{time_us}",
            "operation": operation,
            "collection": collection,
            "rkey": rkey,
            "record": body,
            "cid": f"bafyrei{time_us:x}",
        },
    }


def delete_event(did: str, rkey: str, *, time_us: int, collection: str = POST) -> dict[str, Any]:
    commit = {"rev": f"r{time_us}", "operation": "delete", "collection": collection, "rkey": rkey}
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}


PROFILE = "app.bsky.actor.profile"


def profile_event(
    did: str, *, time_us: int, labels: Iterable[str] = (), operation: str = "update"
) -> dict[str, Any]:
    """A commit event writing an account's profile record (shaped like the real one in
    ``tests/crowdwall/corpus/bluesky/jetstream/golden_v1.jsonl``), self-labelled ``labels``."""
    record: dict[str, Any] = {
        "$type": PROFILE,
        "avatar": {
            "$type": "blob",
            "ref": {"$link": "bafkreieajxclqzwk2mczx7hxmoboqpuiveqlbm35gsda5xlaqfmlryu4ri"},
            "mimeType": "image/jpeg",
            "size": 720303,
        },
        "createdAt": "2025-02-14T23:48:34.991Z",
        "description": "Pythonista, #DjangoCon regular & organiser",
        "displayName": "Ann",
    }
    if labels:
        values = [{"val": label} for label in labels]
        record["labels"] = {"$type": "com.atproto.label.defs#selfLabels", "values": values}
    commit = {"rev": f"r{time_us}", "operation": operation, "collection": PROFILE, "rkey": "self"}
    if operation != "delete":
        commit |= {"record": record, "cid": f"bafyrei{time_us:x}"}
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}


class MemoryLabels:
    """An in-memory ``AccountLabels`` store for sources run without a database."""

    def __init__(self, *dids: str) -> None:
        self.dids = list(dids)
        self.applied: list[dict[str, bool]] = []

    async def labelled(self, limit: int) -> list[str]:
        return self.dids[:limit]

    async def apply(self, changes: Mapping[str, bool]) -> None:
        self.applied.append(dict(changes))


def identity_event(did: str, handle: str, *, time_us: int) -> dict[str, Any]:
    identity = {"did": did, "handle": handle, "seq": time_us, "time": "2025-05-14T09:00:00Z"}
    return {"did": did, "time_us": time_us, "kind": "identity", "identity": identity}


def account_event(did: str, *, time_us: int, active: bool = True) -> dict[str, Any]:
    account = {"active": active, "did": did, "seq": time_us, "time": "2025-05-14T09:00:00Z"}
    return {"did": did, "time_us": time_us, "kind": "account", "account": account}


def tag_facet(text: str, tag_text: str) -> dict[str, Any]:
    """A tag facet over the first ``#tag_text`` in ``text`` (offsets in UTF-8 bytes)."""
    start = text.encode().index(f"#{tag_text}".encode())
    end = start + len(f"#{tag_text}".encode())
    feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag_text}
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


# The server --------------------------------------------------------------------------------


@dataclass
class Frame:
    time_us: int
    payload: str | bytes
    did: str | None = None
    collection: str | None = None  # None: not a commit (always passes the collection filter)


@dataclass
class Cut:
    after: int  # frames sent on the connection before it drops
    mid_frame: bool = False


@dataclass
class Connection:
    """One client connection as the fake saw it."""

    path: str
    params: dict[str, list[str]]
    hello: dict[str, Any] | None = None
    sent: list[int] = field(default_factory=list)  # time_us of every frame sent
    cut: bool = False  # dropped by a cut (no close frame)
    closed: bool = False
    user_agent: str = ""  # the User-Agent of the handshake

    @property
    def cursor(self) -> int | None:
        values = self.params.get("cursor")
        return int(values[0]) if values else None


class FakeJetstream:
    """See the module docstring. ``url`` is the subscribe URL once started."""

    def __init__(self, *, compression: str | None = "deflate", delay: float = 0.0) -> None:
        self.compression = compression
        self.delay = delay
        self.frames: list[Frame] = []
        self.connections: list[Connection] = []
        self.port = 0
        self._times: list[int] = []  # frames' time_us, for bisect
        self._cuts: list[Cut] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self._new_frames: asyncio.Condition | None = None
        self._open: set[ServerConnection] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    # Lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeJetstream:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self._new_frames = asyncio.Condition()
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            compression=self.compression,
            process_request=self._check_path,
            max_size=None,
        )
        self.port = next(iter(self._server.sockets)).getsockname()[1]

    def stop(self) -> None:
        async def _stop() -> None:
            assert self._server is not None
            for connection in list(self._open):
                connection.transport.abort()
            self._server.close()
            await self._server.wait_closed()
            current = asyncio.current_task()
            leftovers = [task for task in asyncio.all_tasks() if task is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
            await self._loop.shutdown_asyncgens()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> FakeJetstream:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Test controls ------------------------------------------------------------------------

    def append(self, *events: Mapping[str, Any]) -> None:
        """Add events (in ``time_us`` order) for every connection, present and future."""
        frames = []
        for event in events:
            commit = event.get("commit")
            collection = commit.get("collection") if isinstance(commit, Mapping) else None
            frames.append(Frame(event["time_us"], encode(event), event.get("did"), collection))
        self._add(frames)

    def append_raw(self, *payloads: str | bytes, time_us: int | None = None) -> None:
        """Add frames sent verbatim (``bytes``: a binary frame) to every client; they sort with
        ``time_us`` (default: the last event's)."""
        at = time_us if time_us is not None else (self._times[-1] if self._times else 0)
        self._add([Frame(at, payload) for payload in payloads])

    def cut_after(self, *counts: int, mid_frame: bool = False) -> None:
        """Drop each of the next connections (one count each) after that many frames: the TCP
        connection is reset without a close frame, optionally halfway through a frame."""
        with self._changed:
            self._cuts += [Cut(count, mid_frame) for count in counts]

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> list[Connection]:
        """Block until ``count`` clients have connected (and sent their hello, if required)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.connections) >= count, timeout):
                raise TimeoutError(f"{len(self.connections)} of {count} connections")
            return list(self.connections)

    async def connected(self, count: int, timeout: float = 5.0) -> list[Connection]:
        """``wait_for_connections`` for async tests (waits in a thread, not the loop)."""
        return await asyncio.to_thread(self.wait_for_connections, count, timeout)

    # Internals ----------------------------------------------------------------------------

    def _add(self, frames: list[Frame]) -> None:
        async def add() -> None:
            assert self._new_frames is not None
            for frame in frames:
                index = bisect.bisect_right(self._times, frame.time_us)
                self._times.insert(index, frame.time_us)
                self.frames.insert(index, frame)
            async with self._new_frames:
                self._new_frames.notify_all()

        asyncio.run_coroutine_threadsafe(add(), self._loop).result(timeout=10)

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        if urlsplit(request.path).path != "/subscribe":
            return connection.respond(404, "Not Found\n")
        return None

    async def _frame_after(self, websocket: ServerConnection, position: int) -> bool:
        """Wait until there is a frame at ``position``; False if the client went away first."""
        assert self._new_frames is not None
        if position < len(self.frames):
            return True

        async def more() -> None:
            assert self._new_frames is not None
            async with self._new_frames:
                await self._new_frames.wait_for(lambda: position < len(self.frames))

        waiters = {asyncio.ensure_future(more()), asyncio.ensure_future(websocket.wait_closed())}
        _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return position < len(self.frames)

    async def _handle(self, websocket: ServerConnection) -> None:
        assert self._new_frames is not None and websocket.request is not None
        path = websocket.request.path
        params = parse_qs(urlsplit(path).query)
        record = Connection(path, params)
        record.user_agent = websocket.request.headers.get("User-Agent", "")
        self._open.add(websocket)
        collections = set(params.get("wantedCollections", []))
        dids = set(params.get("wantedDids", []))
        try:
            if params.get("requireHello") == ["true"]:
                message = json.loads(await websocket.recv())
                record.hello = message
                payload = message.get("payload") or {}
                collections = set(payload.get("wantedCollections") or collections)
                dids = set(payload.get("wantedDids") or dids)
            with self._changed:
                cut = self._cuts.pop(0) if self._cuts else None
                self.connections.append(record)
                self._changed.notify_all()
            cursor = record.cursor
            position = (
                len(self.frames) if cursor is None else bisect.bisect_left(self._times, cursor)
            )
            while await self._frame_after(websocket, position):
                frame = self.frames[position]
                position += 1
                if collections and frame.collection not in (None, *collections):
                    continue
                if dids and frame.did is not None and frame.did not in dids:
                    continue
                if cut is not None and len(record.sent) >= cut.after:
                    await self._drop(websocket, frame, cut.mid_frame)
                    record.cut = True
                    return
                if self.delay:
                    await asyncio.sleep(self.delay)
                await websocket.send(frame.payload)
                record.sent.append(frame.time_us)
        finally:
            record.closed = True
            self._open.discard(websocket)

    async def _drop(self, websocket: ServerConnection, frame: Frame, mid_frame: bool) -> None:
        """Close the TCP connection abruptly, without a close frame, once what was sent got
        out (optionally after half of the next frame)."""
        transport = websocket.transport
        if mid_frame:
            data = frame.payload if isinstance(frame.payload, bytes) else frame.payload.encode()
            opcode = 0x82 if isinstance(frame.payload, bytes) else 0x81
            # The header announces the whole frame (server frames are unmasked); half follows.
            size = len(data)
            if size < 126:
                header = bytes([opcode, size])
            elif size < 2**16:
                header = bytes([opcode, 126]) + size.to_bytes(2, "big")
            else:
                header = bytes([opcode, 127]) + size.to_bytes(8, "big")
            transport.write(header + data[: size // 2])
        while transport.get_write_buffer_size():
            await asyncio.sleep(0)  # let the event loop hand the bytes to the kernel
        transport.abort()
