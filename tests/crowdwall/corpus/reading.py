"""Read a corpus file with the parser its source uses, then prepare each item as ingest does.

Every file becomes a list of ``Outcome``: an item that parsed (its ``Prepared`` post, or the
deletion it announces) or one that was rejected, with the reason the source or the pipeline
gives. Nothing here catches an exception on its own: a crash fails the test that reads.

- ``mastodon/statuses``: ``statuses.to_post`` (what the timeline and streaming code call);
  ``mastodon/streaming``: server-sent events from the streaming API page, dispatched as the
  Mastodon source does (``update``/``status.update``: ``to_post``, ``delete``: ``to_deletion``);
  ``mastodon/accounts``: ``statuses.to_author``; the other entity examples (media, polls,
  cards, custom emoji, quotes) are put into the documentation's ``Status`` example, where a
  server sends them, and read as a status.
- ``feeds``: ``feeds.parse_feed`` (the RSS source's parser; a document it refuses has a
  ``problem``), then each entry's post.
- ``bluesky/jetstream``: each frame through ``JetstreamFilter.feed`` (following every author
  in the file, so that no post is filtered out), then the ``JetstreamPost`` it returns.
- ``bluesky/records``: ``bluesky_records.post_from_record``, what a ``JetstreamPost`` calls.
- ``bluesky/atproto``: each line of the datetime test files as the ``createdAt`` of a post.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.items import Item
from crowdwall.ingest.normalize import IncomingPost, Limits
from crowdwall.ingest.prepare import Prepared, prepare_batch
from crowdwall.sources.bluesky_events import JetstreamFilter
from crowdwall.sources.bluesky_records import post_from_record
from crowdwall.sources.feeds import parse_feed
from crowdwall.sources.mastodon.statuses import to_author, to_deletion, to_post

CORPUS = Path(__file__).parent
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)  # after every dated item in the corpus
HOST = "mastodon.social"  # the documentation's examples come from there
SOURCE_ID = 1
# A Jetstream time (2026-07-04T14:38:08Z) for records read without a frame around them.
TIME_US = 1_783_175_888_000_000
DATA = (".json", ".jsonl", ".xml", ".txt")
# Where each Mastodon entity example goes in the documentation's Status example.
CARRIERS = {
    "media": lambda status, m: status.update(media_attachments=[m]),
    "polls": lambda status, p: status.update(poll=p),
    "cards": lambda status, c: status.update(card=c),
    "emoji": lambda status, e: status.update(
        emojis=[e], content=f"<p>Hello :{e.get('shortcode', '')}:</p>"
    ),
    "quotes": lambda status, q: status.update(quote=q),
}


@dataclass
class Outcome:
    """One item of a corpus file: what ingest makes of it, or why it refuses it."""

    origin: str  # the file (relative to the corpus) and the item's place in it
    entry: Prepared | IncomingPost | None = None  # an IncomingPost here is a deletion
    author: Any = None  # for account examples: the IncomingAuthor
    rejected: str = ""  # the reason, when refused
    detail: str = ""

    @property
    def post(self) -> Prepared:
        assert isinstance(self.entry, Prepared), f"{self.origin}: {self.rejected or self.entry}"
        return self.entry


def files() -> list[Path]:
    """Every data file of the corpus (not the notices), in a stable order."""
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.suffix in DATA and p.is_file() and not p.name.startswith("LICENSE")
    )


def name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def prepared(origin: str, item: Item) -> Outcome:
    """``item`` through the pipeline's pure half (``prepare_batch``), alone in its batch."""
    batch = prepare_batch(SOURCE_ID, [item], now=NOW, limits=Limits.current())
    if batch.rejected:
        (rejected,) = batch.rejected
        # "error" is how the pipeline files an unexpected exception: a crash, not a reason.
        assert rejected.reason != "error", f"{origin}: crashed\n{rejected.trace}"
        return Outcome(origin, rejected=rejected.reason, detail=rejected.detail)
    (entry,) = batch.entries
    return Outcome(origin, entry)


def _source_rejected(origin: str, exc: InvalidPost) -> Outcome:
    return Outcome(origin, rejected=exc.reason, detail=exc.detail)


def status_example() -> dict[str, Any]:
    """The documentation's full ``Status`` example (the carrier of the other entities)."""
    return json.loads((CORPUS / "mastodon/statuses/Status-0-0.json").read_text())


def _streaming(path: Path) -> Iterator[Outcome]:
    """One ``event:``/``data:`` pair, as ``MastodonSource`` dispatches a streaming event."""
    fields = dict(line.split(": ", 1) for line in path.read_text().splitlines() if line)
    event, data = fields["event"], fields["data"]
    try:
        if event in ("update", "status.update"):
            yield prepared(name(path), to_post(json.loads(data), host=HOST))
        elif event == "delete":
            yield prepared(name(path), to_deletion(data))
        else:
            yield Outcome(name(path), rejected="not a post")  # notifications, filters, ...
    except InvalidPost as exc:
        yield _source_rejected(name(path), exc)


def _mastodon(path: Path) -> Iterator[Outcome]:
    kind = path.parent.name
    if kind == "streaming":
        yield from _streaming(path)
        return
    data = json.loads(path.read_text())
    origin = name(path)
    if kind == "accounts":
        try:
            yield Outcome(origin, author=to_author(data, HOST))
        except InvalidPost as exc:
            yield _source_rejected(origin, exc)
        return
    if kind in CARRIERS:
        status = status_example()
        CARRIERS[kind](status, copy.deepcopy(data))
        data = status
    try:
        post = to_post(data, host=HOST)
    except InvalidPost as exc:
        yield _source_rejected(origin, exc)
        return
    yield prepared(origin, post)


def _feed(path: Path) -> Iterator[Outcome]:
    origin = name(path)
    parsed = parse_feed(path.read_bytes(), url=f"https://feeds.example/{origin}", now=NOW)
    if parsed.problem:
        yield Outcome(origin, rejected="feed refused", detail=parsed.problem)
        return
    for index, entry in enumerate(parsed.entries):
        yield prepared(f"{origin}#{index}", entry.post)


def _jetstream(path: Path) -> Iterator[Outcome]:
    lines = path.read_text().splitlines()
    dids = {json.loads(line).get("did") for line in lines if line.strip()}
    stream = JetstreamFilter(accounts=dids - {None})
    for number, line in enumerate(lines, 1):
        origin = f"{name(path)}:{number}"
        before = sum(stream.malformed.values())
        item = stream.feed(line)
        if sum(stream.malformed.values()) > before:
            yield Outcome(origin, rejected="malformed frame")
        elif item is None:
            yield Outcome(origin, rejected="not a post")  # likes, follows, identity, ...
        else:
            yield prepared(origin, item)


def record_outcome(origin: str, record: Any, rkey: str = "3kcorpus22") -> Outcome:
    """A post record read as a Jetstream post by ``did:plc:corpus``."""
    try:
        post = post_from_record("did:plc:corpus", rkey, record, time_us=TIME_US)
    except InvalidPost as exc:
        return _source_rejected(origin, exc)
    return prepared(origin, post)


def _record(path: Path) -> Iterator[Outcome]:
    yield record_outcome(name(path), json.loads(path.read_text()))


def datetime_lines(path: Path) -> list[str]:
    """The test values of an atproto syntax file (comments and blank lines left out)."""
    return [
        line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]


def _datetimes(path: Path) -> Iterator[Outcome]:
    for number, value in enumerate(datetime_lines(path), 1):
        record = {"$type": "app.bsky.feed.post", "text": "a date", "createdAt": value}
        yield record_outcome(f"{name(path)}:{number}", record)


def read(path: Path) -> list[Outcome]:
    """Every item of the corpus file ``path``, parsed as its source parses it."""
    top = path.relative_to(CORPUS).parts
    if top[0] == "mastodon":
        reader = _mastodon
    elif top[0] == "feeds":
        reader = _feed
    elif top[:2] == ("bluesky", "jetstream"):
        reader = _jetstream
    elif top[:2] == ("bluesky", "records"):
        reader = _record
    elif top[:2] == ("bluesky", "atproto"):
        reader = _datetimes
    else:
        raise AssertionError(f"no reader for {name(path)}")
    return list(reader(path))


def one(relative: str) -> Outcome:
    """The single item of a corpus file (the reviewed tests name one)."""
    (outcome,) = read(CORPUS / relative)
    return outcome
