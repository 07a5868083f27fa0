"""Reading timelines over REST: forward from the cursor (polling, catch-up) or back in time.

Forward uses ``min_id``: Mastodon answers the ``limit`` statuses just after it (still newest
first), so consecutive pages have no gaps whatever arrives meanwhile; a full page is followed by
its ``Link: rel="prev"`` (Mastodon's "newer" link, ``min_id`` = the page's newest id). History
uses ``max_id`` and ``Link: rel="next"`` (older). Links are only followed on the same server.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from crowdwall.exceptions import InvalidPost, SourceDisconnected, SourceError
from crowdwall.ingest.normalize import DELETE, IncomingPost
from crowdwall.sources.base import Batch
from crowdwall.sources.mastodon.client import MastodonClient, MastodonHTTPError, Response
from crowdwall.sources.mastodon.feeds import Feed, Positions
from crowdwall.sources.mastodon.statuses import check_id, id_key, newest, to_post

logger = logging.getLogger("crowdwall.sources.mastodon")

PAGE_SIZE = 40  # Mastodon's maximum ``limit``
MAX_PAGES = 25  # per timeline and poll; the cursor keeps the rest for the next poll
BACKFILL_PER_FEED = 400  # history per timeline when no limit is given


class Seen:
    """The last ``size`` things yielded: a status (id, edit time) or a deletion (id)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._keys: OrderedDict[tuple[str, str], None] = OrderedDict()

    def add(self, post: IncomingPost) -> bool:
        """Remember ``post``; whether it is new."""
        version = "deleted" if post.action == DELETE else str(post.edited_at or "")
        key = (post.external_id, version)
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class Timelines:
    """The hashtag and account timelines of one source, their ``positions`` (the cursor) and
    what was ``seen`` (shared with the live stream, which overlaps the catch-up)."""

    def __init__(
        self, client: MastodonClient, *, name: str, tags: Sequence[str], accounts: Sequence[str]
    ) -> None:
        self.client, self.name = client, name
        self.host = client.host
        self.tags, self.accounts = list(tags), list(accounts)
        self.positions = Positions()
        self.seen = Seen()
        self.feeds: list[Feed] | None = None

    async def resolve(self) -> list[Feed]:
        """The timelines to read: hashtags, then accounts (handles looked up once)."""
        if self.feeds is None:
            feeds = [Feed("tags", tag) for tag in self.tags]
            for account in self.accounts:
                feeds.append(
                    Feed("accounts", account if account.isdigit() else await self._lookup(account))
                )
            self.feeds = feeds
        return self.feeds

    async def _lookup(self, account: str) -> str:
        try:
            response = await self.client.get(
                "/api/v1/accounts/lookup", {"acct": account.lstrip("@")}
            )
        except MastodonHTTPError as exc:
            raise SourceError(
                f"Mastodon account {account!r} not found on {self.host}: {exc}"
            ) from exc
        data = response.data
        try:
            return check_id(data.get("id") if isinstance(data, dict) else None, "account.id")
        except InvalidPost as exc:
            raise SourceDisconnected(f"Bad answer looking up {account!r}: {exc}") from exc

    async def poll(self) -> AsyncIterator[Batch]:
        """Every timeline, forward from its position."""
        feeds = await self.resolve()
        for feed in list(feeds):
            try:
                async for batch in self.catch_up(feed):
                    yield batch
            except MastodonHTTPError as exc:
                if feed.kind == "accounts" and exc.status in (404, 410):
                    logger.error(
                        "Mastodon source %s: %s is gone (%s); dropped", self.name, feed, exc
                    )
                    feeds.remove(feed)
                    continue
                raise

    async def catch_up(self, feed: Feed) -> AsyncIterator[Batch]:
        """Pages after the feed's position, oldest first, each with the cursor after it. With
        no position: the newest page only (a wall starts with what is being said now)."""
        since = self.positions.get(feed)
        target, params = feed.path, _params(min_id=since)
        for _ in range(MAX_PAGES):
            response = await self.client.get(target, params)
            items = _statuses(response, feed)
            posts = self.parse(items, feed)
            newer = response.links.get("prev", "")
            ids = [p.external_id for p in posts]
            moved = self.positions.advance(feed, newest([*ids, _query(newer, "min_id")]))
            fresh = [p for p in sorted(posts, key=_key) if self.seen.add(p)]
            if fresh or moved:
                yield Batch(fresh, self.positions.cursor())
            if not since or not moved or len(items) < PAGE_SIZE:
                return
            since = self.positions.get(feed)
            if newer and self.client.same_origin(newer) and _query(newer, "min_id") == since:
                target, params = newer, None  # Mastodon's own link to the next page
            else:
                target, params = feed.path, _params(min_id=since)

    async def history(self, limit: int | None) -> AsyncIterator[Batch]:
        """Each timeline backwards from its newest status, up to ``limit`` posts
        (``BACKFILL_PER_FEED`` per timeline without one), newest first. History carries no
        cursor, except the newest page of a timeline without a position: the live stream
        starts there, so it continues without a gap."""
        for feed in list(await self.resolve()):
            target, params = feed.path, _params()
            fetched, first, wanted = 0, True, limit or BACKFILL_PER_FEED
            for _ in range(-(-wanted // PAGE_SIZE) + 2):  # spare pages for skipped statuses
                if fetched >= wanted:
                    break
                response = await self.client.get(target, params)
                items = _statuses(response, feed)
                posts = sorted(self.parse(items, feed), key=_key, reverse=True)
                fetched += len(posts)
                if first and posts and not self.positions.get(feed):
                    self.positions.advance(feed, posts[0].external_id)
                    yield Batch(posts, self.positions.cursor())
                elif posts:
                    yield Batch(posts, None)
                first = False
                older = response.links.get("next", "")
                if len(items) < PAGE_SIZE or not posts:
                    break
                if older and self.client.same_origin(older):
                    target, params = older, None
                else:
                    target, params = feed.path, _params(max_id=posts[-1].external_id)

    def parse(self, items: list[Any], feed: Feed) -> list[IncomingPost]:
        """The usable statuses of a page. Skipped ones do not move the cursor (a garbage id
        could jump it past real ones); the ``Link`` header's ``min_id`` covers them."""
        posts = []
        for item in items:
            try:
                posts.append(to_post(item, host=self.host))
            except InvalidPost as exc:
                logger.warning(
                    "Mastodon source %s: skipped status %s of %s (%s)",
                    self.name,
                    exc.external_id or "?",
                    feed,
                    exc,
                )
        return posts


def _key(post: IncomingPost) -> tuple[int, str]:
    return id_key(post.external_id)


def _params(**ids: str) -> dict[str, Any]:
    return {"limit": PAGE_SIZE, **{k: v for k, v in ids.items() if v}}


def _query(url: str, name: str) -> str:
    values = httpx.URL(url).params.get_list(name) if url else []
    return values[0] if values else ""


def _statuses(response: Response, feed: Feed) -> list[Any]:
    if not isinstance(response.data, list):
        kind = type(response.data).__name__
        raise SourceDisconnected(f"{feed}: expected a list of statuses, got {kind}")
    return response.data
