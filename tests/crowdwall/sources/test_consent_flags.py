"""The consent flags each network reports, read into ``IncomingAuthor`` / ``IncomingPost``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crowdwall.ingest.normalize import clean_post
from crowdwall.sources.bluesky_records import post_from_record
from crowdwall.sources.mastodon.statuses import to_post
from tests.crowdwall.fakes.mastodon import FakeMastodon

NOW = datetime(2025, 5, 14, 10, 0, tzinfo=UTC)


def test_mastodon_account_flags_are_read_from_every_status():
    fake = FakeMastodon()
    account = fake.add_account("ann")
    account.update(noindex=True, discoverable=False, indexable=False)
    author = to_post(fake.post("djangocon", account=account), host="social.example").author
    assert (author.noindex, author.discoverable, author.indexable) == (True, False, False)


@pytest.mark.parametrize("value", [None, "yes", 1])
def test_a_missing_or_odd_mastodon_flag_is_not_reported_and_costs_no_post(value):
    fake = FakeMastodon()
    account = fake.add_account("ann")
    account.pop("indexable")
    account.update(discoverable=value, noindex=value)
    author = to_post(fake.post("djangocon", account=account), host="social.example").author
    assert (author.noindex, author.discoverable, author.indexable) == (None, None, None)


def record(*labels: str) -> dict:
    values = [{"val": label} for label in labels]
    return {
        "text": "hi #djangocon",
        "createdAt": "2025-05-14T09:00:00Z",
        **({"labels": {"$type": "com.atproto.label.defs#selfLabels", "values": values}}),
    }


@pytest.mark.parametrize(
    ("labels", "opted_out"),
    [
        ((), False),
        (("nudity",), False),
        (("!no-unauthenticated",), True),
        (("porn", "!no-unauthenticated"), True),
    ],
)
def test_the_bluesky_self_label_opts_the_post_out(labels, opted_out):
    post = post_from_record("did:plc:ann", "r1", record(*labels), time_us=1)
    assert post.opted_out is opted_out
    assert clean_post(post, now=NOW).opted_out is opted_out
