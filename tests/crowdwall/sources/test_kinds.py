"""Per-kind source config validation."""

from __future__ import annotations

import pytest

from crowdwall.sources.kinds import KINDS, get_kind

# Every numeric config key, with a config the rest of its kind accepts.
NUMBERS = [
    ("replay", {}, "rate"),
    ("replay", {}, "batch_size"),
    ("mastodon", {"instance": "https://x.example"}, "poll_interval"),
    ("bluesky", {}, "batch_size"),
    ("bluesky", {}, "batch_interval"),
    ("bluesky", {}, "progress_interval"),
    ("bluesky", {}, "overlap"),
    ("rss", {"url": "https://x.example/feed"}, "poll_interval"),
    ("rss", {"url": "https://x.example/feed"}, "timeout"),
]


def test_replay_defaults():
    assert KINDS["replay"].validate({}) == {
        "rate": 20.0,
        "loop": False,
        "retime": True,
        "batch_size": 100,
    }


@pytest.mark.parametrize(
    ("kind", "config", "message"),
    [
        ("replay", {"rate": -1}, "'rate'"),
        ("replay", {"rate": "fast"}, "'rate'"),
        ("replay", {"path": "/no/such/file.jsonl"}, "bundled samples"),
        ("replay", {"batch_size": 1.5}, "'batch_size'"),
        ("replay", {"loop": "yes"}, "'loop'"),
        ("replay", {"tempo": 3}, "Unknown config key"),
        ("replay", {"pacing": "bursty"}, "'pacing'"),
        ("replay", {"pacing": "recorded", "speed": 0}, "'speed'"),
        ("replay", {"keep": -1}, "'keep'"),
        ("replay", {"keep": 2.5}, "'keep'"),
        ("replay", {"site_url": "javascript:alert(1)"}, "'site_url'"),
        ("mastodon", {}, "'instance' is required"),
        ("mastodon", {"instance": "ftp://x.example"}, "http"),
        ("mastodon", {"instance": "https://x.example", "poll_interval": 2}, "'poll_interval'"),
        ("mastodon", {"instance": "https://x.example", "hashtags": "python"}, "'hashtags'"),
        ("bluesky", {"endpoint": "https://not-a-websocket.example"}, "ws"),
        ("rss", {"url": "not a url"}, "'url'"),
        ("webhook", {"url": "https://x.example"}, "Unknown config key"),
        ("mastodon", {"instance": "https://x.example", "hashtags": ["t"] * 101}, "At most 100"),
        ("mastodon", {"instance": "https://x.example", "accounts": ["@a" * 200]}, "'accounts'"),
        ("bluesky", {"keywords": ["k" * 201]}, "'keywords': Keywords have at most 200"),
        ("bluesky", {"hashtags": ["h" * 101]}, "'hashtags'"),
    ],
)
def test_bad_configs_are_refused_with_a_reason(kind, config, message):
    with pytest.raises(ValueError, match=message):
        KINDS[kind].validate(config)


def test_good_configs_are_cleaned():
    assert KINDS["mastodon"].validate(
        {"instance": "https://x.example/", "hashtags": ["#Python"]}
    ) == {
        "instance": "https://x.example",
        "hashtags": ["Python"],
        "poll_interval": 15.0,
    }
    assert KINDS["bluesky"].validate({})["endpoint"].startswith("wss://jetstream")


def test_unknown_kind():
    with pytest.raises(ValueError, match="Unknown source kind"):
        get_kind("myspace")


@pytest.mark.parametrize(("kind", "base", "key"), NUMBERS)
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), 10**400, 1e12, -1], ids=repr
)
def test_numbers_must_be_finite_and_in_range(kind, base, key, value):
    with pytest.raises(ValueError, match=f"'{key}' must be .* from .* to .*, not"):
        KINDS[kind].validate({**base, key: value})
