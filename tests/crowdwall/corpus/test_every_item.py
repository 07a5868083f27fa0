"""Every file of the real-world corpus through the parser its source uses: no item crashes.

Each item either parses (a post ready to store, a deletion, an account) or is refused with a
reason the sources and the pipeline already give; a crash fails the file. What the parsed
items say is checked for a reviewed sample in ``test_reviewed_*.py``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from tests.crowdwall.corpus import reading
from tests.crowdwall.corpus.reading import Outcome, Prepared

# The reasons an item may be refused for: the pipeline's and the sources' own.
REASONS = {
    "empty",  # no text, no media (feedparser's one-element test feeds, mostly)
    "missing field",  # abridged documentation examples (no account)
    "feed refused",  # parse_feed's ``problem``: malformed XML, not a feed
    "not a post",  # Jetstream events that are not posts (likes, follows, identity, ...)
}


@pytest.mark.parametrize("path", reading.files(), ids=reading.name)
def test_every_item_parses_or_is_refused_with_a_reason(path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="crowdwall")
    outcomes = reading.read(path)
    for outcome in outcomes:
        assert outcome.entry is not None or outcome.author is not None or outcome.rejected
        if outcome.rejected:
            assert outcome.rejected in REASONS, (outcome.origin, outcome.rejected, outcome.detail)
    # A parser that swallowed an exception logs it: that is a crash too (parse_feed skips an
    # entry that raised, and logs the traceback).
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def _tally() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in reading.files():
        kind = "/".join(reading.name(path).split("/")[:2])
        for outcome in reading.read(path):
            counts[f"{kind} {_state(outcome)}"] += 1
    return counts


def _state(outcome: Outcome) -> str:
    if outcome.rejected:
        return "refused"
    return "post" if isinstance(outcome.entry, Prepared) else "other"


def test_the_corpus_is_not_mostly_refused() -> None:
    """A floor under what parses today, so a regression that refuses real posts shows up here
    and not only as a shorter list (the numbers are today's, from the files as committed)."""
    counts = _tally()
    floors = {
        "mastodon/statuses post": 8,
        "mastodon/accounts other": 20,
        "mastodon/streaming post": 9,
        "mastodon/streaming other": 3,  # the deletions
        "mastodon/media post": 4,
        "bluesky/jetstream post": 17,
        "bluesky/jetstream other": 1,  # the deletion
        "bluesky/records post": 15,
        "bluesky/atproto post": 85,  # every createdAt, readable or not, gives a post
        "feeds/feedparser post": 89,
    }
    short = {k: (counts[k], floor) for k, floor in floors.items() if counts[k] < floor}
    assert not short, short
    assert sum(counts.values()) > 600
