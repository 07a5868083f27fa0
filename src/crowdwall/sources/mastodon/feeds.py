"""What a Mastodon source follows (hashtag and account timelines) and its cursor.

The cursor is JSON holding the newest status id seen per timeline, e.g.
``{"accounts": {"109": "113"}, "tags": {"djangocon": "112"}}`` (keys sorted, compact). Resuming
asks each timeline for ``min_id=<that id>``: the statuses just after it, oldest page first, so a
restart neither skips nor repeats. A timeline with no entry starts at its newest page. Entries
for timelines no longer configured are kept, so re-adding one continues where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from crowdwall.exceptions import SourceError
from crowdwall.sources.base import Cursor
from crowdwall.sources.mastodon.statuses import is_newer

FeedKind = Literal["tags", "accounts"]


@dataclass(frozen=True, slots=True)
class Feed:
    """One timeline: a hashtag (lower-cased, no ``#``) or an account (by id)."""

    kind: FeedKind
    key: str

    @property
    def path(self) -> str:
        if self.kind == "tags":
            return f"/api/v1/timelines/tag/{quote(self.key, safe='')}"
        return f"/api/v1/accounts/{quote(self.key, safe='')}/statuses"

    def __str__(self) -> str:
        return f"#{self.key}" if self.kind == "tags" else f"account {self.key}"


class Positions:
    """The newest status id seen per feed; serialized as the source's cursor."""

    def __init__(self, data: dict[str, dict[str, str]] | None = None) -> None:
        self._data: dict[str, dict[str, str]] = {"accounts": {}, "tags": {}}
        for kind, ids in (data or {}).items():
            self._data.setdefault(kind, {}).update(ids)

    @classmethod
    def load(cls, cursor: Cursor) -> Positions:
        """Positions from a stored cursor (empty: every feed starts at its newest page)."""
        if not cursor.value:
            return cls()
        try:
            data = json.loads(cursor.value)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not all(
            isinstance(ids, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in ids.items())
            for ids in data.values()
        ):
            raise SourceError(
                "A Mastodon cursor is JSON like "
                f'{{"tags": {{"python": "112"}}}}, not {cursor.value[:80]!r}.'
            )
        return cls(data)

    def get(self, feed: Feed) -> str:
        return self._data[feed.kind].get(feed.key, "")

    def advance(self, feed: Feed, status_id: str) -> bool:
        """Move ``feed`` to ``status_id`` if that is newer; whether it moved."""
        if not is_newer(status_id, self.get(feed)):
            return False
        self._data[feed.kind][feed.key] = status_id
        return True

    def cursor(self) -> Cursor:
        data = {kind: ids for kind, ids in sorted(self._data.items()) if ids}
        return Cursor(json.dumps(data, sort_keys=True, separators=(",", ":")))
