"""The replay source: posts from a JSONL file, streamed at a steady rate or at the pace they
were written (the demo's source).

Each line is one post in crowdwall's JSON format (``crowdwall.ingest.normalize``); the bundled
file (``data/replay.jsonl``, built by ``replay_data.py``) holds a conference day of sample posts
written for this project. Config: ``path`` (default: the bundled file), ``rate`` (posts per
second; 0: as fast as the pipeline takes them), ``pacing`` (``steady``: at ``rate``;
``recorded``: the gaps between the posts' ``created_at``, divided by ``speed`` and at most
``MAX_GAP`` seconds, so bursts and quiet spells come through), ``loop`` (start over at the end),
``retime`` (stamp posts with the time they are replayed, so the demo looks live), ``keep`` (when
non-zero, each post is deleted again, through the pipeline, ``keep`` lines later, and every
``batch_size`` deletions the batch asks the runner to remove the erased rows they left
(``Batch.prune_deleted``): the wall and the database stay bounded however long the demo
loops), ``site_url`` (the site's address, for ``static:<path>`` URLs: the bundled posts'
avatars and photos are the app's static files and become ``site_url`` + ``static(path)``, so
they follow any ``STATIC_URL``), ``batch_size``.

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
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload
from urllib.parse import urljoin

from crowdwall.exceptions import SourceError
from crowdwall.ingest.items import Item, JSONText
from crowdwall.sources.base import Batch, Cursor, SourceAdapter
from crowdwall.sources.replay_files import DEFAULT_PATH

logger = logging.getLogger("crowdwall.sources.replay")

STATIC = "static:"  # a URL naming one of the site's static files (replay_data.STATIC)
MAX_GAP = 60.0  # recorded pacing: the longest wait between two posts, in seconds
LAP_GAP = 30.0  # recorded pacing: the recorded pause between the end of a lap and the next


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

    def plain(self, index: int) -> bool:
        """Whether line ``index`` can go out as it is (it names no ``static:`` URL)."""
        return STATIC not in self._lines[index][1]

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
        self.pacing = str(self.config.get("pacing", "steady"))
        self.speed = float(self.config.get("speed", 1.0))
        self.keep = int(self.config.get("keep", 0))
        self.site_url = str(self.config.get("site_url", ""))
        self._records: Records | None = None
        self._times: list[float] | None = None
        self._static: dict[str, str] = {}

    async def records(self) -> Records:
        if self._records is None:
            self._records = await asyncio.to_thread(read_lines, self.path)
        return self._records

    def record(self, position: int, records: Records, now: datetime) -> Item | None:
        if position < len(records) and not self.retime and records.plain(position):
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
        self._resolve_static(item)
        return item

    def _resolve_static(self, item: dict[str, Any]) -> None:
        """``static:<path>`` URLs of the author and the media made the site's URLs (copies)."""
        author = item.get("author")
        if isinstance(author, Mapping) and str(author.get("avatar_url", "")).startswith(STATIC):
            item["author"] = {**author, "avatar_url": self.static_url(author["avatar_url"])}
        media = item.get("media")
        if isinstance(media, list):
            item["media"] = [
                {
                    **m,
                    **{
                        key: self.static_url(m[key])
                        for key in ("url", "preview_url")
                        if str(m.get(key, "")).startswith(STATIC)
                    },
                }
                if isinstance(m, Mapping)
                else m
                for m in media
            ]

    def static_url(self, value: str) -> str:
        """The absolute URL of ``static:<path>``: ``site_url`` joined to ``static(path)``
        (absolute already when ``STATIC_URL`` is); "" when it cannot be made (then the
        pipeline drops it and the wall shows initials, or no photo)."""
        found = self._static.get(value)
        if found is None:
            from django.templatetags.static import static

            try:
                url = static(value[len(STATIC) :])
            except ValueError:  # a manifest storage that does not know the file
                url = ""
            if url and not url.startswith(("http://", "https://")):
                url = urljoin(self.site_url.rstrip("/") + "/", url) if self.site_url else ""
            found = self._static[value] = url
        return found

    def deletion(self, position: int, records: Records) -> dict[str, str] | None:
        """The deletion of the post line ``position`` created (None: that line created none)."""
        raw = records[position % len(records)]
        if not isinstance(raw, Mapping) or raw.get("action", "create") != "create":
            return None
        if "id" not in raw:
            return None
        lap = position // len(records)
        return {"id": f"{raw['id']}~{lap}" if lap else str(raw["id"]), "action": "delete"}

    def prunes(self, start: int, end: int) -> bool:
        """Whether the batch deleting the posts of lines ``start`` to ``end`` (excluded) also
        has their erased rows removed: once every ``batch_size`` lines, counted from the
        cursor (so a restart keeps the rhythm), the database holds at most ``keep`` posts and
        one batch of erased ones however long the replay loops."""
        step = max(1, self.batch_size)
        return end > start and end // step > start // step

    def gap(self, position: int, records: Records) -> float:
        """Recorded pacing: seconds to wait between line ``position - 1`` and line ``position``."""
        if self._times is None:
            self._times = recorded_times(records)
        count = len(records)
        index = position % count
        if position > 0 and index == 0:
            recorded = LAP_GAP
        elif position == 0:
            recorded = 0.0
        else:
            recorded = self._times[index] - self._times[index - 1]
        return min(max(recorded, 0.0) / self.speed, MAX_GAP)

    def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        paced = self.pacing == "recorded"
        return self._replay(cursor, rate=self.rate, loop=self.loop, limit=self.limit, paced=paced)

    def backfill(self, cursor: Cursor, *, limit: int | None = None) -> AsyncIterator[Batch]:
        return self._replay(cursor, rate=0.0, loop=False, limit=limit or self.limit, paced=False)

    async def _replay(
        self, cursor: Cursor, *, rate: float, loop: bool, limit: int | None, paced: bool
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
        due = started  # recorded pacing: when the line at ``position`` is due (the first: now)
        while True:
            remaining = None if loop else len(records) - position
            if limit is not None:
                remaining = (
                    limit - emitted if remaining is None else min(remaining, limit - emitted)
                )
            if remaining is not None and remaining <= 0:
                return
            count = self.batch_size if remaining is None else min(self.batch_size, remaining)
            if paced:
                # The lines due by now, each after its recorded gap (a slow consumer gets
                # them together, never a backlog of sleeps).
                if clock() < due:
                    await asyncio.sleep(due - clock())
                    continue
                ready = 1
                due += self.gap(position + 1, records)
                while ready < count and due <= clock():
                    ready += 1
                    due += self.gap(position + ready, records)
                count = ready
            elif rate > 0:
                # Items due by now at a steady rate (the first at once); a slow consumer gets
                # bigger batches, never a backlog of sleeps.
                due_now = int((clock() - started) * rate) + 1 - emitted
                if due_now <= 0:
                    await asyncio.sleep((emitted / rate) - (clock() - started))
                    continue
                count = min(count, due_now)
            now = datetime.now(UTC)
            posts = [self.record(position + i, records, now) for i in range(count)]
            prune = False
            if self.keep:  # the posts of the lines ``keep`` before these go again
                first = max(position, self.keep)
                gone = (
                    self.deletion(p - self.keep, records) for p in range(first, position + count)
                )
                posts.extend(d for d in gone if d is not None)
                prune = self.prunes(first - self.keep, position + count - self.keep)
            position += count
            emitted += count
            yield Batch([p for p in posts if p is not None] or [], Cursor(str(position)), prune)
            if rate <= 0 and not paced:
                await asyncio.sleep(0)  # let the other sources run


def recorded_times(records: Records) -> list[float]:
    """Each line's ``created_at`` in seconds; a line without a readable one (an edit, a
    deletion, a bad line) takes the time of the line before it: it follows at once."""
    times: list[float] = []
    last = 0.0
    for index in range(len(records)):
        raw = records[index]
        stamp = raw.get("created_at") if isinstance(raw, Mapping) else None
        action = raw.get("action", "create") if isinstance(raw, Mapping) else None
        if isinstance(stamp, str) and action == "create":
            with contextlib.suppress(ValueError):  # unreadable: no gap before it
                last = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        times.append(last)
    return times
