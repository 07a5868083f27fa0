"""``CoalescingSender``: one background thread sending queued frames per channel, bursts coalesced.

Framework-free (no Django, no HTTP): ``NchanPublisher`` computes the frames in its caller's
thread (database reads stay there), hands ``(channel, frame texts)`` pairs to ``put`` and gives
the sender a ``send(channel, texts)`` function doing the POST. Why a thread: a synchronous POST
per publish call caps a publisher at one round trip per post (~36 POSTs/s under fanout load),
and one WebSocket message per post per browser is what the clients then have to parse.

Timing, the hub's rule (``crowdwall.live.hub``): when nothing was sent during the last
``window`` seconds, what is queued goes out at once (an isolated post waits for nothing);
otherwise the sender waits until ``window`` after the end of the previous flush, so everything
that arrived meanwhile goes out together: ONE ``send`` per channel per flush (at most
``max_batch`` frames each), frames in arrival order. Under load a channel gets about
1 / (window + send time) messages per second, however many posts arrive.

Bounded: at most ``max_pending`` frames wait. When the far end is unreachable for long (every
send waiting for its timeout) the oldest are dropped, counted (``dropped``) and logged; pages
repair that themselves, they catch up from the database whenever they reconnect.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

logger = logging.getLogger("crowdwall.live")

Send = Callable[[str, list[str]], None]

MAX_PENDING = 10_000  # frames waiting at most (a few MB): beyond that the oldest are dropped
MAX_BATCH = 200  # frames per message at most, as the hub (and a bounded request body)


class CoalescingSender:
    """Sends what ``put`` queues from a daemon thread, started on first use; ``flush`` waits
    until everything queued is sent, ``close`` (also run at exit) flushes and stops it."""

    def __init__(
        self,
        send: Send,
        *,
        window: float,
        max_pending: int = MAX_PENDING,
        max_batch: int = MAX_BATCH,
        name: str = "crowdwall-sender",
    ) -> None:
        self._send = send
        self.window = window  # seconds; may be changed while running (read at each flush)
        self.max_pending = max_pending
        self.max_batch = max_batch
        self.name = name
        self.dropped = 0  # frames dropped from a full queue
        self.flushes = 0
        self._cond = threading.Condition()
        self._pending: deque[tuple[str, list[str]]] = deque()
        self._pending_frames = 0
        self._busy = False  # a flush is being sent
        self._hurry = 0  # flush() callers waiting: skip the window
        self._closed = False
        self._dropping = False  # logged the current overflow already
        self._thread: threading.Thread | None = None

    def put(self, items: Iterable[tuple[str, list[str]]]) -> bool:
        """Queue ``(channel, texts)`` pairs. False when the sender cannot run (closed, or the
        interpreter is shutting down): the caller then sends them itself."""
        with self._cond:
            if self._closed or not self._start():
                return False
            dropped = 0
            for channel, texts in items:
                self._pending.append((channel, texts))
                self._pending_frames += len(texts)
            while self._pending_frames > self.max_pending and self._pending:
                _, old = self._pending.popleft()
                self._pending_frames -= len(old)
                dropped += len(old)
            if dropped:
                self.dropped += dropped
                if not self._dropping:  # once per overflow: during an outage every put drops
                    self._dropping = True
                    logger.error(
                        "%s: %d frames waiting, dropping the oldest (pages catch up from the "
                        "database when they reconnect)",
                        self.name,
                        self.max_pending,
                    )
            self._cond.notify_all()
            return True

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Send what is queued now, without waiting for the window; True once all is sent."""
        with self._cond:
            if self._thread is None:
                return not self._pending
            self._hurry += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)
            finally:
                self._hurry -= 1

    def close(self, timeout: float | None = 5.0) -> bool:
        """Flush, then stop the thread; True when everything queued was sent. Later ``put``
        calls return False."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        atexit.unregister(self.close)
        if thread is None or thread is threading.current_thread():
            return not self._pending
        thread.join(timeout)
        return not thread.is_alive()

    def _start(self) -> bool:
        if self._thread is not None:
            return True
        thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        try:
            thread.start()
        except RuntimeError:  # "can't create new thread at interpreter shutdown"
            return False
        self._thread = thread
        # Daemon threads die with the interpreter: send what is still queued first.
        atexit.register(self.close)
        return True

    def _run(self) -> None:
        last = -math.inf  # when the previous flush ended (monotonic)
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:  # closed and drained
                    return
                wait = last + self.window - time.monotonic()
                if wait > 0:  # in a burst: let more arrive, then send them together
                    self._cond.wait_for(lambda: self._hurry > 0 or self._closed, wait)
                items = list(self._pending)
                self._pending.clear()
                self._pending_frames = 0
                self._dropping = False
                self._busy = True
            try:
                self._flush(items)
            finally:
                last = time.monotonic()
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _flush(self, items: list[tuple[str, list[str]]]) -> None:
        by_channel: dict[str, list[str]] = {}
        for channel, texts in items:
            by_channel.setdefault(channel, []).extend(texts)
        self.flushes += 1
        for channel, texts in by_channel.items():
            for start in range(0, len(texts), self.max_batch):
                try:
                    self._send(channel, texts[start : start + self.max_batch])
                except Exception:  # ``send`` counts its own failures; this is a bug: say so
                    logger.exception("%s: sending to %s failed", self.name, channel)
