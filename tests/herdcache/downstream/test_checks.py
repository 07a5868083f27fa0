"""System checks of the downstream settings (herdcache.downstream.checks), through check_settings."""

from __future__ import annotations

import pytest

from herdcache.checks import check_settings

VARNISH = {"kind": "varnish", "urls": ["http://127.0.0.1:6081"]}
FASTLY = {"kind": "fastly", "service": "SVC", "token": "t"}
CLOUDFLARE = {"kind": "cloudflare", "zone": "Z", "token": "t", "batch": 100, "retries": 0}


def ids(settings, **herdcache: object) -> list[str]:
    settings.HERDCACHE = herdcache
    return [message.id for message in check_settings()]


@pytest.mark.parametrize(
    "herdcache",
    [
        {},
        {"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [VARNISH]},
        {"SURROGATE_HEADER": "Surrogate-Key", "DOWNSTREAM": [FASTLY, VARNISH]},
        {"SURROGATE_HEADER": "Cache-Tag", "DOWNSTREAM": [CLOUDFLARE], "DOWNSTREAM_QUEUE_SIZE": 5},
    ],
)
def test_good_settings_pass(settings, herdcache):
    assert ids(settings, **herdcache) == []


@pytest.mark.parametrize(
    ("herdcache", "expected"),
    [
        ({"SURROGATE_HEADER": "X-Tags"}, "herdcache.E030"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": {"kind": "varnish"}}, "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{"kind": "akamai"}]}, "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{"kind": "fastly"}]}, "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{**VARNISH, "urls": ["ftp://x"]}]},
         "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{**VARNISH, "retries": -1}]},
         "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{**VARNISH, "timeout": float("nan")}]},
         "herdcache.E031"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [{**VARNISH, "token": "t"}]},
         "herdcache.E031"),
        ({"DOWNSTREAM_QUEUE_SIZE": 0}, "herdcache.E032"),
        ({"DOWNSTREAM": [VARNISH]}, "herdcache.W030"),
        ({"SURROGATE_HEADER": "xkey", "DOWNSTREAM": [FASTLY]}, "herdcache.W031"),
    ],
)  # fmt: skip
def test_bad_settings_are_reported_with_their_id(settings, herdcache, expected):
    assert ids(settings, **herdcache) == [expected]
