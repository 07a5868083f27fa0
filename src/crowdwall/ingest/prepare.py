"""Preparing posts for the store: the CPU-bound half of ingest, pure and process-safe.

Each item on its own (outside any transaction): parse our JSON if needed, validate and bound it
(``normalize.clean_post``), sanitize its HTML, extract plain text and hashtags; then keep the
newest version of each external id in the batch, and (when a prepare worker has the walls)
decide each post's walls and states (``crowdwall.ingest.verdicts``). A bad item is rejected with
its reason; the rest of the batch goes on. ``crowdwall.ingest.write`` stores what this returns.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.consent import author_opted_out
from crowdwall.ingest.items import Item, to_incoming
from crowdwall.ingest.match import (
    Haystack,
    Matcher,
    MatchInput,
    WallRules,
    fold,
    normalize_hashtag,
    normalize_language,
)
from crowdwall.ingest.normalize import DELETE, IncomingPost, Limits, clean_post
from crowdwall.ingest.publisher import Event
from crowdwall.ingest.sanitize import html_to_text, sanitize_html, text_to_html, truncate_text
from crowdwall.ingest.verdicts import decide_walls
from crowdwall.ingest.wire import positional_pickle

logger = logging.getLogger("crowdwall.ingest")


@positional_pickle
@dataclass(slots=True)
class Prepared:
    """A validated post with its safe HTML, plain text and what matching needs."""

    post: IncomingPost
    html: str
    text: str
    hashtags: list[str]
    media: list[dict[str, str]]
    fingerprint: str
    source_id: int
    # What matching reads; None once a worker decided the post's walls (``verdicts``): it is
    # rebuilt on demand (``matching()``) instead of crossing back to the stream process.
    match: MatchInput | None
    # (wall id, state, reason) of each wall it matches, when a prepare worker matched it
    # (``prepare_batch(rules=...)``); the store uses them only if the walls are unchanged since.
    verdicts: tuple[tuple[int, str, str], ...] | None = None

    @property
    def external_id(self) -> str:
        return self.post.external_id

    def matching(self) -> MatchInput:
        """What matching and moderation read (the store needs it for edits, and for new posts
        when the walls changed after a worker matched them)."""
        if self.match is None:
            self.match = match_input(self.post, self.text, self.hashtags, self.source_id)
        return self.match


@positional_pickle
@dataclass(slots=True)
class Rejected:
    external_id: str
    reason: str
    detail: str = ""
    trace: str = ""  # the traceback of an unexpected error: for the log, never for clients


@dataclass(slots=True)
class BatchResult:
    """What one ``ingest`` call did; ``events`` are published once the transaction commits."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    duplicates: int = 0  # already stored unchanged, repeated in the batch, or stale versions
    unmatched: int = 0  # new posts that belong to no wall: not stored
    quarantined: int = 0  # valid posts that failed to store (``crowdwall.ingest.quarantine``)
    rejected: list[Rejected] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    purged_walls: set[str] = field(default_factory=set)
    rules: list[WallRules] | None = None  # the walls as the last chunk was stored with them

    @property
    def stored(self) -> int:
        return self.created + self.updated + self.deleted

    def merge(self, other: BatchResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted
        self.duplicates += other.duplicates
        self.unmatched += other.unmatched
        self.quarantined += other.quarantined
        self.rejected += other.rejected
        self.events += other.events
        self.purged_walls |= other.purged_walls
        if other.rules is not None:
            self.rules = other.rules


def fingerprint(
    html: str,
    post: IncomingPost,
    hashtags: list[str],
    media: list[dict],
    extras: Mapping[str, Any] | None = None,
) -> str:
    """Hash of what a reader sees: equal fingerprints mean "nothing to update"."""
    parts = [html, post.spoiler_text, str(post.sensitive), post.language, post.url, *hashtags]
    for item in media:
        parts += [item["url"], item["type"], item.get("alt", "")]
    if extras:  # a card, poll or quote (a poll's new vote counts are an update, too)
        parts.append(json.dumps(extras, sort_keys=True))
    digest = _BLAKE2B_16.copy()  # a copy, not blake2b(digest_size=16): no keyword dict a post
    digest.update("\x1f".join(parts).encode())
    return digest.hexdigest()


_BLAKE2B_16 = hashlib.blake2b(digest_size=16)


# Authors post again and again: their folded handle and their name as bans read it are kept.
_fold_handle = lru_cache(maxsize=4096)(fold)
_name_haystack = lru_cache(maxsize=4096)(Haystack)


def prepare(post: IncomingPost, source_id: int, limits: Limits | None = None) -> Prepared:
    """Sanitize and analyse a cleaned upsert (see ``normalize.clean_post``)."""
    if post.html:
        html = sanitize_html(post.html)
        text = html_to_text(html)
    else:
        text = "\n\n".join(p.strip() for p in str(post.text).split("\n\n") if p.strip())
        html = text_to_html(text)
    limit = (limits or Limits.current()).max_text_length
    if len(text) > limit:
        logger.info(
            "Truncating post %s of source %s: %d characters", post.external_id, source_id, len(text)
        )
        text = truncate_text(text, limit)
        html = text_to_html(text)
    spoiler = post.spoiler_text
    if not text and not post.media and not spoiler and not post.extras:
        # A GIF or a link card alone, a bare quote: a post, though its text is empty.
        raise InvalidPost(
            "empty", "no text, media, card, poll or quote", external_id=post.external_id
        )
    body = Haystack(f"{spoiler}\n{text}" if spoiler else text)
    tags = {normalize_hashtag(t): None for t in post.hashtags}
    tags.update(dict.fromkeys(body.hashtags()))  # the text's #tags, from its normalised form
    tags.pop("", None)
    hashtags = list(tags)
    match = match_input(post, text, hashtags, source_id, body)
    media = [
        {
            k: v
            for k, v in (
                ("url", m.url),
                ("type", m.type),
                ("alt", m.alt),
                ("preview_url", m.preview_url),
                ("blurhash", m.blurhash),
            )
            if v
        }
        for m in post.media
    ]
    digest = fingerprint(html, post, hashtags, media, post.extras)
    return Prepared(post, html, text, hashtags, media, digest, source_id, match)


def match_input(
    post: IncomingPost,
    text: str,
    hashtags: Sequence[str],
    source_id: int,
    body: Haystack | None = None,
) -> MatchInput:
    """What matching and moderation read of a prepared post (``text``: its plain text)."""
    author = post.author
    assert author is not None  # clean_post guarantees it for upserts
    spoiler = post.spoiler_text
    # Positional, in field order (commented): a class called with keywords packs them into a
    # dict and unpacks it again.
    return MatchInput(
        source_id,  # source_id
        body or Haystack(f"{spoiler}\n{text}" if spoiler else text),  # body
        frozenset(hashtags),  # hashtags
        author.id,  # author_id
        _fold_handle(author.handle),  # author_handle
        _name_haystack(author.display_name),  # name
        normalize_language(post.language),  # language
        post.is_reply,  # is_reply
        post.is_boost,  # is_boost
        author.is_bot,  # is_bot
        post.sensitive,  # sensitive
        post.opted_out or author_opted_out(author),  # opted_out
        post.booster_id,  # booster_id
        _fold_handle(post.booster_handle.lstrip("@")),  # booster_handle
    )


Entry = Prepared | IncomingPost  # an IncomingPost here is always a deletion


def _read(item: Item, source_id: int, now: datetime, limits: Limits) -> Entry:
    post = clean_post(to_incoming(item), now=now, limits=limits)
    return post if post.action == DELETE else prepare(post, source_id, limits)


def _newer(previous: Entry, entry: Entry) -> Entry:
    """Of two versions of one post in a batch, the one to store: a deletion is final, an older
    edit never replaces a newer one, otherwise the later arrival wins."""
    if isinstance(previous, IncomingPost):
        return previous
    if isinstance(entry, Prepared):
        old, new = previous.post.edited_at, entry.post.edited_at
        if old is not None and (new is None or new < old):
            return previous
    return entry


@positional_pickle
@dataclass(slots=True)
class PreparedBatch:
    """A batch after its CPU-bound half (``prepare_batch``): what ``store_batch`` writes.

    Plain data (it crosses to and from prepare worker processes): the latest version of each
    external id in arrival order, the items rejected with their reasons, and how many items
    were repeats of another in the batch.
    """

    entries: list[Entry]
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: int = 0


def prepare_batch(
    source_id: int,
    items: Iterable[Item],
    *,
    now: datetime,
    limits: Limits,
    rules: Sequence[WallRules] | None = None,
) -> PreparedBatch:
    """Parse, validate, sanitize and analyse ``items`` and keep the newest version of each post;
    with ``rules``, also match each post and decide its state on each wall (``verdicts``).

    Pure: no database, no settings (``limits`` carries them), nothing logged; a bad item costs
    itself only (its reason is in ``rejected``). Safe to run in another process.
    """
    batch = PreparedBatch([])
    latest: dict[str, Entry] = {}
    for item in items:
        try:
            entry = _read(item, source_id, now, limits)
        except InvalidPost as exc:
            batch.rejected.append(Rejected(exc.external_id, exc.reason, exc.detail))
            continue
        except Exception as exc:  # unforeseen input must cost one post, not the batch
            external_id = str(
                getattr(item, "external_id", "")
                or (item.get("id", "") if isinstance(item, Mapping) else "")
            )
            batch.rejected.append(
                Rejected(external_id, "error", repr(exc)[:200], traceback.format_exc())
            )
            continue
        previous = latest.pop(entry.external_id, None)
        if previous is not None:
            batch.duplicates += 1
            entry = _newer(previous, entry)
        latest[entry.external_id] = entry
    batch.entries = list(latest.values())
    if rules is not None:
        matcher = Matcher(rules)
        for entry in batch.entries:
            if isinstance(entry, Prepared):
                entry.verdicts = tuple(
                    (wall.id, state, reason)
                    for wall, state, reason in decide_walls(matcher, entry.matching())
                )
                _travel_light(entry)
    return batch


def _travel_light(entry: Prepared) -> None:
    """Drop what the store no longer reads from a matched post, before it crosses back from a
    worker: its match input (rebuilt on demand) and the raw HTML and text it was prepared from.
    Loading them in the stream process cost a third of a prepared post's unpickling."""
    entry.match = None
    entry.post.html = entry.post.text = ""


def log_rejected(source_id: int, rejected: Iterable[Rejected]) -> None:
    """One log line per rejected item, with its reason (and the traceback of a surprise)."""
    for item in rejected:
        if item.trace:
            logger.error(
                "Rejected post %r from source %s: unexpected error\n%s",
                item.external_id or "?",
                source_id,
                item.trace.rstrip(),
            )
        else:
            logger.warning(
                "Rejected post %r from source %s: %s",
                item.external_id or "?",
                source_id,
                f"{item.reason}: {item.detail}" if item.detail else item.reason,
            )
