"""The stream process's periodic look for trusted reactions (``crowdwall.moderation.reactions``).

``manage.py crowdwall stream`` runs one ``ReactionWatch`` beside its sources (``StreamRunner``),
over the posts of its Mastodon and Bluesky sources: every ``TRUSTED_REACTIONS_INTERVAL``
seconds (0: never) one round asks each due post's network who reacted to it, through one
adapter per source (``reader_for``), one request at a time. A round never crashes the stream:

- a server that cannot answer (5xx, timeout, network: ``ReactionsUnavailable``) is asked
  nothing more this round and is left alone for a growing pause (``Backoff``, from one
  interval up to 16), the post it failed on waits longer too (``note_checked``);
- a post refused on its own (``ReactionsError``: deleted, an odd answer) waits longer;
- anything else is logged with its traceback and counted, and the next round runs.

Database work runs in the stream's one database thread (``sync_to_async(thread_sensitive=
True)``), as the sources' batches do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from crowdwall.conf import conf
from crowdwall.models import Source
from crowdwall.moderation.reactions import Due, approve_reacted, due_posts, note_checked
from crowdwall.sources.base import Backoff
from crowdwall.sources.bluesky_profiles import DEFAULT_APPVIEW
from crowdwall.sources.bluesky_reactions import BlueskyReactions
from crowdwall.sources.mastodon.reactions import MastodonReactions
from crowdwall.sources.reactions import ReactionReader, ReactionsError, ReactionsUnavailable

logger = logging.getLogger("crowdwall.moderation.reactions")

KINDS = ("mastodon", "bluesky")  # the networks that say who reacted to a post


def reader_for(source: Source) -> ReactionReader | None:
    """The reactions adapter for ``source`` (None for kinds without one)."""
    pages = conf.TRUSTED_REACTIONS_PAGES
    if source.kind == "mastodon" and source.config.get("instance"):
        return MastodonReactions(str(source.config["instance"]), token=source.secret, pages=pages)
    if source.kind == "bluesky":
        appview = str(source.config.get("profile_lookup_url") or DEFAULT_APPVIEW)
        return BlueskyReactions(appview, pages=pages)
    return None


@dataclass
class WatchStats:
    rounds: int = 0
    checked: int = 0  # posts whose reactions were read
    approved: int = 0  # wall entries approved
    failures: int = 0  # posts that could not be asked about
    errors: int = 0  # rounds that failed unexpectedly (logged)


class ReactionWatch:
    """Rounds of trusted-reaction checks over the posts of ``sources`` until ``stop``."""

    def __init__(
        self,
        sources: Sequence[Source],
        *,
        readers: Callable[[Source], ReactionReader | None] = reader_for,
    ) -> None:
        self.sources = {source.pk: source for source in sources if source.kind in KINDS}
        self.stats = WatchStats()
        self._make_reader = readers
        self._readers: dict[int, ReactionReader | None] = {}
        self._backoffs: dict[int, Backoff] = {}
        self._paused_until: dict[int, float] = {}  # source id -> event-loop time

    async def run(self, stop: asyncio.Event) -> None:
        """Run a round every ``TRUSTED_REACTIONS_INTERVAL`` seconds until ``stop`` is set."""
        if not self.sources or conf.TRUSTED_REACTIONS_INTERVAL <= 0:
            return
        try:
            # The first round after one interval: the sources' start (and their catch-up)
            # comes first, and a stream restarted in a loop does not ask the servers each time.
            while not await _stopped(stop, conf.TRUSTED_REACTIONS_INTERVAL):
                try:
                    await self.round()
                except Exception:  # a bug or a database hiccup must not end the stream
                    self.stats.errors += 1
                    logger.exception("Trusted reactions: the round failed")
        finally:
            await self.aclose()

    async def round(self) -> int:
        """One round: ask about every due post; returns how many wall entries it approved."""
        self.stats.rounds += 1
        loop = asyncio.get_running_loop()
        due = await sync_to_async(due_posts, thread_sensitive=True)(list(self.sources))
        answered: list[int] = []
        failed: list[int] = []
        approved = 0
        for item in due:
            if self._paused_until.get(item.source_id, 0.0) > loop.time():
                continue  # its server failed recently: not asked, not counted against the post
            reader = self._reader(item.source_id)
            if reader is None:
                continue
            try:
                reactors = await reader.reactors(item.external_id)
            except ReactionsUnavailable as exc:
                failed.append(item.post_id)
                backoff = self._backoffs.setdefault(
                    item.source_id, Backoff(_interval(), 16 * _interval())
                )
                self._paused_until[item.source_id] = loop.time() + backoff.next_delay()
                logger.warning("Trusted reactions: %s unavailable: %s", self._name(item), exc)
                continue
            except ReactionsError as exc:
                failed.append(item.post_id)
                logger.warning("Trusted reactions: %s: %s", self._name(item), exc)
                continue
            if item.source_id in self._backoffs:
                self._backoffs[item.source_id].reset()
            answered.append(item.post_id)
            approved += await sync_to_async(approve_reacted, thread_sensitive=True)(
                item.post_id, reactors
            )
        await sync_to_async(note_checked, thread_sensitive=True)(answered, failed=False)
        await sync_to_async(note_checked, thread_sensitive=True)(failed, failed=True)
        self.stats.checked += len(answered)
        self.stats.failures += len(failed)
        self.stats.approved += approved
        return approved

    def _reader(self, source_id: int) -> ReactionReader | None:
        if source_id not in self._readers:
            self._readers[source_id] = self._make_reader(self.sources[source_id])
        return self._readers[source_id]

    def _name(self, item: Due) -> str:
        return f"source {self.sources[item.source_id].name} (post {item.external_id})"

    async def aclose(self) -> None:
        """Close every adapter's HTTP client."""
        readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            if reader is not None:
                await reader.aclose()


def _interval() -> float:
    return max(conf.TRUSTED_REACTIONS_INTERVAL, 1.0)


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; whether it is."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
