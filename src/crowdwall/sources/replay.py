"""The replay source: posts from a JSONL file, streamed at a steady rate (the demo's source).

Each line is one post in crowdwall's JSON format (``crowdwall.ingest.normalize``); the bundled
file (``data/replay.jsonl``, built by ``replay_data.py``) holds a few hundred sample posts written
for this project. Config: ``path`` (default: the bundled file), ``rate`` (posts per second; 0:
as fast as the pipeline takes them), ``loop`` (start over at the end), ``retime`` (stamp posts
with the time they are replayed, so the demo looks live), ``batch_size``.

The cursor is the number of lines consumed, counting laps when looping (lap *k* >= 1 suffixes
ids with ``~k`` so each lap is new posts). Resuming from a cursor therefore neither skips nor
repeats a line. Lines that are not JSON are logged and skipped (their position still counts).

A line that needs no rewriting (first lap, no ``retime``) goes out as its text (``JSONText``):
the pipeline parses it with the rest of the item's preparation, in a prepare worker for big
batches, instead of in the stream process (measured: 15 % more posts/s on PostgreSQL). A line
that is not JSON is then rejected by the pipeline, logged with its line number.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from crowdwall.exceptions import SourceError
from crowdwall.ingest.items import Item, JSONText
from crowdwall.sources.base import Batch, Cursor, SourceAdapter
from crowdwall.sources.replay_files import DEFAULT_PATH

logger = logging.getLogger("crowdwall.sources.replay")


_UNREAD = object()


class Records(Sequence[Any]):
    """A replay file's records: parsed JSON per line, or ``None`` for a line that is not JSON.

    Lines are parsed when first asked for, so a big file starts streaming at once and the
    parsing of later lines overlaps the storing of earlier ones."""

    def __init__(self, path: Path, lines: list[tuple[int, str]]) -> None:
        self.path = path
        self._lines = lines
        self._parsed: list[Any] = [_UNREAD] * len(lines)

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        found = self._parsed[index]
        if found is _UNREAD:
            found = self._parsed[index] = self._parse(index)
        return found

    def text(self, index: int) -> JSONText:
        """Line ``index`` as it is, for the pipeline to parse."""
        number, line = self._lines[index]
        return JSONText(line, f"{self.path.name} line {number}")

    def _parse(self, index: int) -> Any:
        number, line = self._lines[index]
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            logger.warning("%s line %d is not JSON (%s); skipped", self.path, number, exc)
            return None


def read_lines(path: Path) -> Records:
    """The file's non-empty lines (with their line numbers) as ``Records`` (parsed on use)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SourceError(f"Cannot read replay file {path}: {exc}") from exc
    return Records(path, [(n, line) for n, line in enumerate(lines, 1) if line.strip()])


class ReplaySource(SourceAdapter):
    kind = "replay"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(self.config.get("path") or DEFAULT_PATH)
        self.rate = float(self.config.get("rate", 20.0))
        self.loop = bool(self.config.get("loop", False))
        self.retime = bool(self.config.get("retime", True))
        self.batch_size = int(self.config.get("batch_size", 100))
        self._records: Records | None = None

    async def records(self) -> Records:
        if self._records is None:
            self._records = await asyncio.to_thread(read_lines, self.path)
        return self._records

    def record(self, position: int, records: Records, now: datetime) -> Item | None:
        if position < len(records) and not self.retime:
            return records.text(position)  # as it is: parsed where it is prepared
        raw = records[position % len(records)]
        if not isinstance(raw, Mapping):
            return raw  # not an object: the pipeline rejects it with a logged reason
        item = dict(raw)
        lap = position // len(records)
        if lap and "id" in item:
            item["id"] = f"{item['id']}~{lap}"
        if self.retime and item.get("action", "create") != "delete":
            stamp = now.isoformat()
            item["created_at"] = stamp
            if item.get("edited_at"):
                item["edited_at"] = stamp
        return item

    def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        return self._replay(cursor, rate=self.rate, loop=self.loop, limit=self.limit)

    def backfill(self, cursor: Cursor, *, limit: int | None = None) -> AsyncIterator[Batch]:
        return self._replay(cursor, rate=0.0, loop=False, limit=limit or self.limit)

    async def _replay(
        self, cursor: Cursor, *, rate: float, loop: bool, limit: int | None
    ) -> AsyncIterator[Batch]:
        try:
            position = int(cursor.value or 0)
        except ValueError:
            raise SourceError(
                f"Replay cursor must be a line number, not {cursor.value!r}."
            ) from None
        records = await self.records()
        if not records:
            return
        clock = asyncio.get_running_loop().time
        started, emitted = clock(), 0
        while True:
            remaining = None if loop else len(records) - position
            if limit is not None:
                remaining = (
                    limit - emitted if remaining is None else min(remaining, limit - emitted)
                )
            if remaining is not None and remaining <= 0:
                return
            count = self.batch_size if remaining is None else min(self.batch_size, remaining)
            if rate > 0:
                # Items due by now at a steady rate (the first at once); a slow consumer gets
                # bigger batches, never a backlog of sleeps.
                due = int((clock() - started) * rate) + 1 - emitted
                if due <= 0:
                    await asyncio.sleep((emitted / rate) - (clock() - started))
                    continue
                count = min(count, due)
            now = datetime.now(UTC)
            posts = [self.record(position + i, records, now) for i in range(count)]
            position += count
            emitted += count
            yield Batch([p for p in posts if p is not None] or [], Cursor(str(position)))
            if rate <= 0:
                await asyncio.sleep(0)  # let the other sources run
