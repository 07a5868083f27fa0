"""Jetstream events in, posts for the wall out: the filter between the firehose and the pipeline.

``JetstreamFilter.feed(raw)`` takes one frame's text and returns a ``JetstreamPost`` (a new or
edited post that matches; the pipeline converts it), an ``IncomingPost`` deletion, or ``None``;
``time_us`` is then the highest event time seen, the source's cursor. Events arrive at up to
tens of thousands a second during a replay, and nearly all are posts that match nothing, so the
order of work is cheapest first:

1. **No parse** for a created post whose raw text holds none of the needles
   (``prefilter.RawPrefilter``): the time is sliced out of the text, the event dropped.
2. **Parse** everything else: deletions (small; the wall may show the post), edits, identity
   events (they teach us handles), frames in an unexpected shape, and the posts that passed.
3. **Match exactly** like the pipeline does: hashtags from tag facets, the record's ``tags``
   and ``#words`` in the text; keywords in the text; or an author among ``accounts``.

**Profiles** (``app.bsky.actor.profile``, rkey ``self``) say whether an account carries the
``!no-unauthenticated`` self-label (``crowdwall.ingest.consent``). The filter keeps the DIDs
that do in a bounded LRU set (``labelled``, seeded by the source from stored authors); their
posts come out marked (``JetstreamPost.labelled``), and each gain or loss of the label is
noted in ``label_changes`` for the source to apply (withdrawing the account's posts). A profile
commit is dropped unparsed unless its text holds the label or its DID is in the set (the label
may have been removed): profile edits are frequent and almost never about the label.

Delivery is at least once (and a reconnect replays a few seconds on purpose), so what we emit
is remembered by at-uri and commit revision in a bounded set, and a replayed event is dropped.
Every deletion is forwarded, not only those of posts seen since the process started: the store
drops deletions of posts it does not have, at the cost of one row in a bulk lookup each.
Malformed frames are skipped, counted by reason and logged.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from crowdwall.ingest.consent import NO_UNAUTHENTICATED, has_opt_out_label
from crowdwall.ingest.items import Item, loads
from crowdwall.ingest.match import Haystack, compile_keywords, extract_hashtags, normalize_hashtag
from crowdwall.ingest.normalize import IncomingPost
from crowdwall.sources.bluesky_records import (
    DID,
    POST_COLLECTION,
    PROFILE_COLLECTION,
    RKEY,
    JetstreamPost,
    at_uri,
    record_tags,
)
from crowdwall.sources.prefilter import RawPrefilter

logger = logging.getLogger("crowdwall.sources.bluesky")

_TIME_KEY = '"time_us":'
_OPERATION_KEY = '"operation":"'
# What follows the operation's value (create, update and delete all have 6 letters).
_OPERATION_END = len(_OPERATION_KEY) + 6
_PROFILE_AFTER_OPERATION = f'","collection":"{PROFILE_COLLECTION}"'
_DID_KEY = '{"did":"'
_COLLECTION_MARK = _OPERATION_END + len('","collection":"app.bsky.')
_HANDLE = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
_LOGGED_PER_REASON = 20  # then every 1,000th, so a broken upstream cannot flood the log


class Malformed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _field(mapping: Mapping[str, Any], key: str) -> Any:
    value = mapping.get(key)
    if value is None:
        raise Malformed("missing field", repr(key))
    return value


class JetstreamFilter:
    """Turns Jetstream frames into posts for the wall (see the module docstring).

    ``hashtags``/``keywords`` select posts like a wall's rules do; ``accounts`` (DIDs) select
    every post of those authors. ``remember`` bounds the at-uris kept for deduplication,
    ``handles`` the DID -> handle table learned from identity events.
    """

    def __init__(
        self,
        *,
        hashtags: Iterable[str] = (),
        keywords: Iterable[str] = (),
        accounts: Iterable[str] = (),
        remember: int = 50_000,
        handles: int = 100_000,
        labelled: Iterable[str] = (),
        max_labelled: int = 100_000,
    ) -> None:
        self.hashtags = frozenset(normalize_hashtag(tag) for tag in hashtags) - {""}
        entries = tuple(k for k in keywords if k.strip())
        self.keywords = compile_keywords(entries) if entries else None
        self.accounts = frozenset(accounts)
        self.prefilter = RawPrefilter(self.hashtags, entries)
        self.time_us = 0
        self.remember, self.max_handles = remember, handles
        self.seen: OrderedDict[str, set[str]] = OrderedDict()  # at-uri -> versions emitted
        self.handles: OrderedDict[str, str] = OrderedDict()
        self.max_labelled = max_labelled
        self.labelled: OrderedDict[str, None] = OrderedDict()  # DIDs of labelled profiles
        self.label(labelled)
        self.label_changes: dict[str, bool] = {}  # DID -> labelled now, until taken
        # Counters (plain ints on the hot path; ``stats()`` reports them all).
        self.events = self.skipped = self.parsed = self.unmatched = self.duplicates = 0
        self.ignored = self.posts = self.deletions = 0
        self.profiles_skipped = self.profiles = 0
        self.malformed: Counter[str] = Counter()
        # Whether the post ``feed`` just returned should reach the wall soon: a post, or the
        # deletion of one we delivered (other deletions may wait for the next batch).
        self.urgent = False

    @property
    def selective(self) -> bool:
        """Whether anything can match at all (a source with no rules would only burn CPU)."""
        return bool(self.hashtags or self.keywords or self.accounts)

    def stats(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "skipped unparsed": self.skipped,
            "parsed": self.parsed,
            "parsed, no match": self.unmatched,
            "posts": self.posts,
            "deletions": self.deletions,
            "duplicates": self.duplicates,
            "ignored": self.ignored,
            "malformed": dict(self.malformed),
            "handles": len(self.handles),
            "profiles skipped unparsed": self.profiles_skipped,
            "profiles parsed": self.profiles,
            "labelled accounts": len(self.labelled),
        }

    def label(self, dids: Iterable[str]) -> None:
        """Remember these DIDs as labelled ``!no-unauthenticated`` (no change is noted)."""
        for did in dids:
            self._set_label(did, True)

    def take_label_changes(self) -> dict[str, bool]:
        """The label changes noted since the last call (DID -> labelled now), cleared."""
        changes, self.label_changes = self.label_changes, {}
        return changes

    def posted(self, uri: str) -> bool:
        """Whether we emitted a (not yet deleted) post with this at-uri recently."""
        versions = self.seen.get(uri)
        return bool(versions) and not any(v[0] == "d" for v in versions)

    def feed(self, raw: str | bytes) -> Item | None:
        """The post (or deletion) this frame carries for the wall, or ``None``."""
        self.events += 1
        if type(raw) is str and not self.accounts:
            # The fast path: a created post, its time sliced out of the text (Jetstream writes
            # did, time_us, kind, then commit.rev and commit.operation), dropped unparsed when
            # no needle occurs in it. Any other shape goes on to the full parse.
            at = raw.find(_TIME_KEY)
            if at > 0:
                at += len(_TIME_KEY)
                end = raw.find(",", at, at + 24)
                op = raw.find(_OPERATION_KEY, end, end + 200) if end > 0 else -1
                create = op > 0 and raw.startswith("c", op + len(_OPERATION_KEY))
                # A profile (the only other collection we ask for) is skipped by its own rule.
                if create:
                    # One character tells a post ("app.bsky.feed...") from a profile ("app.bsky.
                    # actor..."): cheaper than comparing the collection, on the hottest path.
                    skip = not self.prefilter.may_match(raw) and (
                        raw[op + _COLLECTION_MARK : op + _COLLECTION_MARK + 1] != "a"
                        or self._profile_unchanged(raw)
                    )
                else:
                    skip = (
                        op > 0
                        and raw[op + _COLLECTION_MARK : op + _COLLECTION_MARK + 1] == "a"
                        and raw.startswith(_PROFILE_AFTER_OPERATION, op + _OPERATION_END)
                        and self._profile_unchanged(raw)
                    )
                if skip:
                    digits = raw[at:end]
                    if digits.isdecimal():
                        time_us = int(digits)
                        if time_us > self.time_us:
                            self.time_us = time_us
                        self.skipped += 1
                        return None
        try:
            return self._parse(raw)
        except Malformed as exc:
            self._log_malformed(exc, raw)
            return None

    def _log_malformed(self, exc: Malformed, raw: str | bytes) -> None:
        self.malformed[exc.reason] += 1
        count = self.malformed[exc.reason]
        if count <= _LOGGED_PER_REASON or count % 1000 == 0:
            logger.warning("Jetstream frame skipped (%s; %d so far): %.120r", exc, count, raw)

    def _parse(self, raw: str | bytes) -> Item | None:
        self.parsed += 1
        if not isinstance(raw, str):
            raise Malformed("binary frame", f"{len(raw)} bytes")
        try:
            event = loads(raw)  # orjson (~3x faster than json), json for surrogates
        except ValueError as exc:
            raise Malformed("not JSON", str(exc)) from None
        if not isinstance(event, dict):
            raise Malformed("not an object", type(event).__name__)
        did, time_us = _field(event, "did"), _field(event, "time_us")
        if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us < 0:
            raise Malformed("bad time_us", repr(time_us)[:40])
        if not isinstance(did, str) or not DID.match(did):
            raise Malformed("bad did", repr(did)[:80])
        if time_us > self.time_us:
            self.time_us = time_us
        kind = event.get("kind")
        if kind == "identity":
            self._learn_handle(did, event.get("identity"))
        if kind != "commit":
            self.ignored += 1  # identity, account (and kinds added later)
            return None
        commit = _field(event, "commit")
        if not isinstance(commit, dict):
            raise Malformed("wrong type", "'commit' must be an object")
        operation, rkey = _field(commit, "operation"), _field(commit, "rkey")
        if commit.get("collection") == PROFILE_COLLECTION:
            self._read_profile(did, operation, rkey, commit.get("record"))
            return None
        if commit.get("collection") != POST_COLLECTION:
            self.ignored += 1  # the server filters by collection; be safe anyway
            return None
        if not isinstance(rkey, str) or not RKEY.match(rkey):
            raise Malformed("bad rkey", repr(rkey)[:80])
        uri = at_uri(did, rkey)
        version = f"{str(operation)[:1]}{commit.get('rev') or commit.get('cid') or ''}"
        if operation == "delete":
            return self._emit(uri, version, IncomingPost.deletion(uri))
        if operation not in ("create", "update"):
            raise Malformed("bad operation", repr(operation)[:40])
        record = _field(commit, "record")
        if not isinstance(record, dict):
            raise Malformed("wrong type", "'record' must be an object")
        text = record.get("text")
        if not isinstance(text, str):
            raise Malformed("wrong type", "'text' must be a string")
        tags = record_tags(record)
        if not (
            did in self.accounts
            or self._matches(text, tags)
            or (operation == "update" and self.posted(uri))  # an edit that drops our tag
        ):
            self.unmatched += 1
            return None
        handle = self.handles.get(did, "")
        update, labelled = operation == "update", did in self.labelled
        post = JetstreamPost(did, rkey, record, time_us, handle, update, tags, raw, labelled)
        return self._emit(uri, version, post)

    def _matches(self, text: str, tags: list[str]) -> bool:
        if self.hashtags and not (
            self.hashtags.isdisjoint(tags) and self.hashtags.isdisjoint(extract_hashtags(text))
        ):
            return True
        return self.keywords is not None and self.keywords.find(Haystack(text)) is not None

    def _emit(self, uri: str, version: str, post: Item) -> Item | None:
        deletion = isinstance(post, IncomingPost)  # posts are converted later (JetstreamPost)
        self.urgent = not deletion or self.posted(uri)
        versions = self.seen.get(uri)
        if versions is None:
            self.seen[uri] = {version}
            if len(self.seen) > self.remember:
                self.seen.popitem(last=False)
        elif version in versions:
            self.duplicates += 1
            return None
        else:
            versions.add(version)
        if deletion:
            self.deletions += 1
        else:
            self.posts += 1
        return post

    def _profile_unchanged(self, raw: str) -> bool:
        """Whether a profile frame surely changes no label: the label's text is absent and
        its DID (sliced from the frame's start) is not labelled. Neither the label nor a DID
        holds a character Jetstream escapes (see ``prefilter``), so escapes cannot hide them."""
        if NO_UNAUTHENTICATED in raw:
            return False
        if self.labelled:
            end = raw.find('"', len(_DID_KEY))
            if not raw.startswith(_DID_KEY) or end < 0 or raw[len(_DID_KEY) : end] in self.labelled:
                return False
        self.profiles_skipped += 1
        return True

    def _read_profile(self, did: str, operation: Any, rkey: Any, record: Any) -> None:
        """Note whether this profile commit adds or removes the account's label."""
        self.profiles += 1
        if rkey != "self":
            raise Malformed("bad rkey", f"a profile's rkey is 'self', not {str(rkey)[:40]!r}")
        if operation == "delete":
            labelled = False  # no profile, no label
        elif operation in ("create", "update"):
            if not isinstance(record, dict):
                raise Malformed("wrong type", "'record' must be an object")
            labels = record.get("labels")
            labelled = has_opt_out_label(labels.get("values") if isinstance(labels, dict) else None)
        else:
            raise Malformed("bad operation", repr(operation)[:40])
        if labelled != (did in self.labelled):
            self._set_label(did, labelled)
            self.label_changes[did] = labelled
        elif labelled:
            self.labelled.move_to_end(did)

    def _set_label(self, did: str, labelled: bool) -> None:
        if not labelled:
            self.labelled.pop(did, None)
            return
        self.labelled[did] = None
        self.labelled.move_to_end(did)
        if len(self.labelled) > self.max_labelled:
            self.labelled.popitem(last=False)

    def _learn_handle(self, did: str, identity: Any) -> None:
        handle = identity.get("handle") if isinstance(identity, Mapping) else None
        if isinstance(handle, str) and _HANDLE.match(handle) and handle != "handle.invalid":
            self.handles[did] = handle
            self.handles.move_to_end(did)
            if len(self.handles) > self.max_handles:
                self.handles.popitem(last=False)
