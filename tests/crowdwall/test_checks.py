"""System checks (crowdwall.checks): each id fires for its bad setting, none for good ones."""

from __future__ import annotations

import pytest

from crowdwall.checks import check_settings


def ids(settings, value=None, **overrides) -> list[str]:
    if value is not None:
        settings.CROWDWALL = value
    for name, setting in overrides.items():
        setattr(settings, name, setting)
    return [message.id for message in check_settings()]


def test_defaults_pass(settings):
    assert ids(settings, {}) == []


def test_valid_custom_settings_pass(settings):
    assert (
        ids(
            settings,
            {
                "PUBLISHER": "crowdwall.ingest.publisher.InProcessPublisher",
                "BATCH_SIZE": 1000,
                "BLOCKLIST": "crowdwall.moderation.blocklist.DEFAULT_BLOCKLIST",
                "FUTURE_TOLERANCE": 0,
            },
        )
        == []
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a dict", ["crowdwall.E001"]),
        ({"BATCHSIZE": 10}, ["crowdwall.E002"]),
        ({"PUBLISHER": "no.such.Publisher"}, ["crowdwall.E003"]),
        ({"PUBLISHER": "crowdwall.models.Wall"}, ["crowdwall.E003"]),
        ({"PUBLISHER": 42}, ["crowdwall.E003"]),
        ({"BATCH_SIZE": 0}, ["crowdwall.E004"]),
        ({"ARCHIVE_PAGE_SIZE": "50"}, ["crowdwall.E004"]),
        ({"AGGREGATES_CACHE_SECONDS": 0}, ["crowdwall.E004"]),
        ({"AGGREGATES_STALE_SECONDS": 1.5}, ["crowdwall.E004"]),
        ({"LIVE_FIGURES_TOP": 0}, ["crowdwall.E004"]),
        ({"LIVE_FIGURES_TOP": 101}, ["crowdwall.E004"]),
        ({"LIVE_FIGURES_TOP": "5"}, ["crowdwall.E004"]),
        ({"MAX_MEDIA": -1}, ["crowdwall.E004"]),
        ({"RESTART_BASE_DELAY": 0}, ["crowdwall.E004"]),
        ({"SCREEN_HEARTBEAT_SECONDS": 0}, ["crowdwall.E004"]),
        ({"SCREENS_PER_WALL": "100"}, ["crowdwall.E004"]),
        ({"BLOCKLIST": "no.such.WORDS"}, ["crowdwall.E005"]),
        ({"BLOCKLIST": ['"unbalanced']}, ["crowdwall.E005"]),
        ({"BLOCKLIST": [3]}, ["crowdwall.E005"]),
        ({"RESTART_BASE_DELAY": 10, "RESTART_MAX_DELAY": 1}, ["crowdwall.E007"]),
        ({"WEBHOOK_TOLERANCE_SECONDS": 0}, ["crowdwall.E004"]),
        ({"WEBHOOK_MAX_BYTES": "big"}, ["crowdwall.E004"]),
        ({"LIVE_COALESCE_MS": -5}, ["crowdwall.E004"]),
        ({"LIVE_SOCKET_BACKLOG": 0}, ["crowdwall.E004"]),
        ({"LIVE_HEARTBEAT_SECONDS": 0}, ["crowdwall.E004"]),
        ({"PREPARE_PROCESSES": -1}, ["crowdwall.E004"]),
        ({"PREPARE_PROCESSES": "2"}, ["crowdwall.E004"]),
        ({"PREPARE_PROCESSES": True}, ["crowdwall.E004"]),
        ({"PREPARE_MIN_BATCH": 0}, ["crowdwall.E004"]),
        ({"WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES": True}, ["crowdwall.W010"]),
    ],
)
def test_each_bad_setting_has_its_id(settings, value, expected):
    assert ids(settings, value) == expected


def test_herdcache_must_be_installed(settings, monkeypatch):
    from crowdwall import checks

    real = checks.apps.is_installed
    monkeypatch.setattr(
        checks.apps, "is_installed", lambda name: name != "herdcache" and real(name)
    )
    assert ids(settings, {}) == ["crowdwall.E006"]


def test_checks_are_registered():
    from django.core import checks

    assert check_settings in checks.registry.registry.get_checks()


@pytest.mark.parametrize(
    "value",
    ["/srv/replays", ["relative/dir"], ["/no/such/directory"], [42], {"dir": "/tmp"}],
    ids=["a string", "relative", "missing", "not a path", "a dict"],
)
def test_replay_dirs_must_be_a_list_of_existing_absolute_directories(settings, value):
    assert ids(settings, {"REPLAY_DIRS": value}) == ["crowdwall.E050"]


def test_replay_dirs_that_exist_pass(settings, tmp_path):
    assert ids(settings, {"REPLAY_DIRS": [str(tmp_path), tmp_path]}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"CONTACT_URL": "https://events.example/contact", "USER_AGENT": "wall/1 (+x)"}, []),
        ({"CONTACT_URL": "mailto:wall@events.example", "ROBOTS_CACHE_SECONDS": 0}, []),
        ({"CONTACT_URL": "javascript:alert(1)"}, ["crowdwall.E060"]),
        ({"CONTACT_URL": "events.example"}, ["crowdwall.E060"]),
        ({"CONTACT_URL": None}, ["crowdwall.E060"]),
        ({"USER_AGENT": "two\nlines"}, ["crowdwall.E061"]),
        ({"USER_AGENT": "wäll"}, ["crowdwall.E061"]),
        ({"USER_AGENT": 3}, ["crowdwall.E061"]),
        ({"ROBOTS_CACHE_SECONDS": -1}, ["crowdwall.E004"]),
    ],
)
def test_consent_settings_have_their_ids(settings, value, expected):
    assert ids(settings, value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"TRUSTED_REACTIONS_INTERVAL": -1},
        {"TRUSTED_REACTIONS_INTERVAL": "60"},
        {"TRUSTED_REACTIONS_POSTS": 0},
        {"TRUSTED_REACTIONS_POSTS": 101},
        {"TRUSTED_REACTIONS_POSTS": 2.5},
        {"TRUSTED_REACTIONS_RECHECK_SECONDS": 0},
        {"TRUSTED_REACTIONS_MAX_AGE": None},
        {"TRUSTED_REACTIONS_PAGES": 0},
        {"TRUSTED_REACTIONS_PAGES": 11},
        {"TRUSTED_REACTIONS_PAGES": True},
    ],
)
def test_trusted_reactions_bounds_have_their_id(settings, value):
    assert ids(settings, value) == ["crowdwall.E200"]


def test_trusted_reactions_can_be_switched_off_and_tuned(settings):
    tuned = {
        "TRUSTED_REACTIONS_INTERVAL": 0,
        "TRUSTED_REACTIONS_POSTS": 100,
        "TRUSTED_REACTIONS_RECHECK_SECONDS": 0.5,
        "TRUSTED_REACTIONS_MAX_AGE": 3600,
        "TRUSTED_REACTIONS_PAGES": 10,
    }
    assert ids(settings, tuned) == []
