"""The Jetstream filter frame by frame: what is dropped unparsed, what is parsed, what comes
out; deduplication by at-uri and revision; handles from identity events; malformed frames."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from crowdwall.ingest.items import to_incoming
from crowdwall.ingest.normalize import DELETE
from crowdwall.sources.bluesky_events import JetstreamFilter
from tests.crowdwall.fakes.jetstream import (
    account_event,
    delete_event,
    encode,
    identity_event,
    post_event,
    profile_event,
    tag_facet,
)

T0 = 1_747_213_200_000_000
ANN = "did:plc:ann2345ann2345ann2345an"


def feed_all(flt: JetstreamFilter, *events: dict | str) -> list[tuple[str, str]]:
    out = []
    for event in events:
        item = flt.feed(event if isinstance(event, str) else encode(event))
        if item is not None:
            post = to_incoming(item)  # a post comes as a JetstreamPost, converted later
            out.append((post.action, post.external_id.rsplit("/", 1)[-1]))
    return out


def test_the_fast_path_reads_the_time_without_parsing():
    flt = JetstreamFilter(hashtags=["djangocon"])
    assert feed_all(flt, post_event(ANN, "n1", "nothing", time_us=T0 + 7)) == []
    assert (flt.parsed, flt.skipped, flt.time_us) == (0, 1, T0 + 7)


def test_other_shapes_take_the_parse_path_and_still_work():
    flt = JetstreamFilter(hashtags=["djangocon"])
    event = post_event(ANN, "p1", "spaced #djangocon", time_us=T0 + 1)
    pretty = json.dumps({"kind": "commit", **event}, indent=1)  # other key order, whitespace
    assert feed_all(flt, pretty) == [("upsert", "p1")]
    assert flt.parsed == 1 and flt.time_us == T0 + 1


@pytest.mark.parametrize(
    ("text", "record", "matches"),
    [
        ("#DjangoCon", {}, True),
        ("no hash", {"tags": ["DJANGOCON"]}, True),
        ("facet only", {"facets": [tag_facet("#djangocon", "djangocon")]}, True),
        ("#djangocon2025", {}, False),
        ("a.#djangocon", {}, True),
        ("email@#djangocon", {}, True),
        ("&#djangocon", {}, False),  # an HTML entity, not a tag (like the pipeline)
        ("#Django Con", {}, False),
    ],
)
def test_hashtags_match_like_the_pipeline(text, record, matches):
    flt = JetstreamFilter(hashtags=["#DjangoCon"])
    out = feed_all(flt, post_event(ANN, "p", text, time_us=T0, **record))
    assert bool(out) is matches


def test_other_events_and_collections_are_ignored():
    flt = JetstreamFilter(hashtags=["djangocon"])
    assert (
        feed_all(
            flt,
            account_event(ANN, time_us=T0 + 1),
            post_event(ANN, "l1", "#djangocon", time_us=T0 + 2, collection="app.bsky.feed.like"),
            delete_event(ANN, "l1", time_us=T0 + 3, collection="app.bsky.feed.like"),
        )
        == []
    )
    assert flt.ignored == 3 and flt.time_us == T0 + 3


def test_replayed_events_come_out_once_even_after_a_deletion():
    flt = JetstreamFilter(hashtags=["djangocon"])
    events = [
        post_event(ANN, "p1", "#djangocon", time_us=T0 + 1),
        delete_event(ANN, "p1", time_us=T0 + 2),
    ]
    assert feed_all(flt, *events) == [("upsert", "p1"), (DELETE, "p1")]
    assert feed_all(flt, *events) == []  # the overlap after a reconnect
    assert flt.duplicates == 2


def test_only_deletions_of_posts_we_delivered_are_urgent():
    flt = JetstreamFilter(hashtags=["djangocon"])
    flt.feed(encode(post_event(ANN, "p1", "#djangocon", time_us=T0)))
    assert flt.urgent
    flt.feed(encode(delete_event(ANN, "zz", time_us=T0 + 1)))
    assert not flt.urgent
    flt.feed(encode(delete_event(ANN, "p1", time_us=T0 + 2)))
    assert flt.urgent
    assert not flt.posted(f"at://{ANN}/app.bsky.feed.post/p1")


def test_memory_is_bounded():
    flt = JetstreamFilter(hashtags=["djangocon"], remember=3, handles=2)
    for n in range(5):
        flt.feed(encode(post_event(ANN, f"p{n}", "#djangocon", time_us=T0 + n)))
        flt.feed(encode(identity_event(f"did:plc:{n:024d}", f"u{n}.example", time_us=T0 + n)))
    assert len(flt.seen) == 3 and len(flt.handles) == 2
    assert list(flt.handles.values()) == ["u3.example", "u4.example"]


def test_invalid_handles_are_not_learned():
    flt = JetstreamFilter(hashtags=["x"])
    feed_all(
        flt,
        identity_event(ANN, "handle.invalid", time_us=T0),
        identity_event(ANN, "<b>evil</b>", time_us=T0 + 1),
    )
    assert flt.handles == {}


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"did":"did:plc:x","time_us":5,"kind":"commit","commit":{"operation":"', "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"did": "did:plc:x", "kind": "commit"}', "missing field"),
        ('{"did": "did:plc:x", "time_us": -5, "kind": "commit"}', "bad time_us"),
        ('{"did": "did:plc:x", "time_us": true, "kind": "commit"}', "bad time_us"),
        ('{"did": "ann", "time_us": 5, "kind": "commit"}', "bad did"),
        ('{"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": []}', "wrong type"),
        (
            '{"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": {"operation": '
            '"create", "collection": "app.bsky.feed.post", "rkey": "a/b", "record": {}}}',
            "bad rkey",
        ),
        (
            '{"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": {"operation": '
            '"merge", "collection": "app.bsky.feed.post", "rkey": "a"}}',
            "bad operation",
        ),
    ],
)
def test_malformed_frames_are_counted_by_reason(frame, reason, caplog):
    flt = JetstreamFilter(hashtags=["x"])
    assert flt.feed(frame) is None
    assert flt.malformed == {reason: 1}
    assert reason in caplog.text


def test_a_flood_of_bad_frames_is_logged_sparingly(caplog):
    flt = JetstreamFilter(hashtags=["x"])
    for _ in range(1000):
        flt.feed(b"binary")
    assert flt.malformed == {"binary frame": 1000}
    assert caplog.text.count("binary frame") == 21  # the first 20, then every 1,000th


def test_stats_report_every_counter():
    flt = JetstreamFilter(keywords=["python"], accounts=[ANN])
    assert flt.selective and not JetstreamFilter().selective
    feed_all(flt, post_event(ANN, "p1", "anything", time_us=T0))
    stats = flt.stats()
    assert stats["events"] == 1 and stats["posts"] == 1 and stats["parsed"] == 1


def test_a_matched_post_crosses_to_a_worker_as_its_frame_text():
    flt = JetstreamFilter(hashtags=["djangocon"])
    facets = [tag_facet("Café #DjangoCon", "DjangoCon")]
    frame = encode(post_event(ANN, "p1", "Café #DjangoCon", time_us=T0 + 1, facets=facets))
    post = flt.feed(frame)
    assert post is not None and post.frame == frame

    data = pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL)
    copy = pickle.loads(data)

    assert frame.encode() in data  # the text, not the parsed record
    assert copy.record == post.record and copy.tags == post.tags
    assert copy.to_post() == post.to_post()
    assert 'href="https://bsky.app/hashtag/DjangoCon"' in copy.to_post().html


# Profiles: the account-level !no-unauthenticated label -----------------------------------------

LABEL = "!no-unauthenticated"
BOB = "did:plc:bob2345bob2345bob2345bo"
GOLDEN = Path(__file__).parents[1] / "corpus/bluesky/jetstream/golden_v1.jsonl"


def real_profile_frame() -> str:
    """The real ``app.bsky.actor.profile`` update frame of Jetstream's golden test data."""
    lines = GOLDEN.read_text().splitlines()
    return next(line for line in lines if '"collection":"app.bsky.actor.profile"' in line)


def labelled_by(flt: JetstreamFilter, did: str, rkey: str, time_us: int) -> bool | None:
    item = flt.feed(encode(post_event(did, rkey, "#djangocon", time_us=time_us)))
    return (
        None
        if item is None
        else to_incoming(pickle.loads(pickle.dumps(item))).author.no_unauthenticated
    )


def test_a_real_profile_frame_without_the_label_is_dropped_unparsed():
    flt = JetstreamFilter(hashtags=["djangocon"])
    frame = real_profile_frame()
    assert flt.feed(frame) is None
    assert (flt.parsed, flt.profiles_skipped, flt.label_changes) == (0, 1, {})
    assert flt.time_us == json.loads(frame)["time_us"]
    # The same real record carrying the label is read, whatever else it holds.
    event = json.loads(frame)
    selflabels = {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": LABEL}]}
    event["commit"]["record"]["labels"] = selflabels
    assert flt.feed(encode(event)) is None
    assert flt.take_label_changes() == {event["did"]: True} and flt.label_changes == {}


def test_a_labelled_profile_marks_the_accounts_posts_until_the_label_goes():
    flt = JetstreamFilter(hashtags=["djangocon"], labelled=[BOB])
    assert labelled_by(flt, ANN, "p1", T0 + 1) is None  # unknown is not a refusal
    assert labelled_by(flt, BOB, "b1", T0 + 2) is True  # seeded
    flt.feed(encode(profile_event(ANN, labels=["nudity", LABEL], time_us=T0 + 3)))
    assert labelled_by(flt, ANN, "p2", T0 + 4) is True
    flt.feed(encode(profile_event(ANN, labels=[LABEL], time_us=T0 + 5)))  # no change
    flt.feed(encode(profile_event(ANN, labels=["nudity"], time_us=T0 + 6)))  # parsed: in the set
    flt.feed(encode(profile_event(BOB, operation="delete", time_us=T0 + 7)))
    assert flt.take_label_changes() == {ANN: False, BOB: False}
    assert labelled_by(flt, ANN, "p3", T0 + 8) is None
    assert labelled_by(flt, BOB, "b2", T0 + 9) is None
    assert flt.profiles_skipped == 0 and flt.profiles == 4


def test_the_labelled_set_is_bounded_and_a_bad_profile_rkey_is_malformed():
    flt = JetstreamFilter(hashtags=["x"], labelled=["did:plc:a", "did:plc:b"], max_labelled=2)
    flt.feed(encode(profile_event("did:plc:c", labels=[LABEL], time_us=T0)))
    assert list(flt.labelled) == ["did:plc:b", "did:plc:c"]
    event = profile_event("did:plc:d", labels=[LABEL], time_us=T0 + 1)
    event["commit"]["rkey"] = "other"
    assert flt.feed(encode(event)) is None and flt.malformed == {"bad rkey": 1}


def test_a_new_account_created_with_the_label_is_caught_and_a_cut_frame_costs_nothing():
    flt = JetstreamFilter(hashtags=["djangocon"])
    created = profile_event(ANN, labels=[LABEL], operation="create", time_us=T0)
    created["commit"]["record"]["description"] = "no needle here"
    assert flt.feed(encode(created)) is None and flt.take_label_changes() == {ANN: True}
    cut = f'{{"did":"{ANN}","time_us":{T0 + 1},"kind":"commit","commit":{{"rev":"r","operation":"create"'
    assert flt.feed(cut) is None and flt.time_us == T0 + 1  # no needle: skipped, no IndexError
