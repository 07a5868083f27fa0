"""System checks for the live transport settings: crowdwall.E030, E031 and W030."""

from __future__ import annotations

import pytest

from crowdwall.checks import check_settings

NCHAN = {
    "LIVE_TRANSPORT": "nchan",
    "PUBLISHER": "crowdwall.live.nchan.NchanPublisher",
    "NCHAN_PUBLISH_URL": "http://127.0.0.1:8089/_nchan/pub/",
}


def ids(settings, value) -> list[str]:
    settings.CROWDWALL = value
    return [message.id for message in check_settings()]


def test_nchan_settings_pass(settings):
    assert ids(settings, NCHAN) == []
    assert ids(settings, {"LIVE_TRANSPORT": "channels"}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"LIVE_TRANSPORT": "carrier-pigeon"}, ["crowdwall.E030"]),
        ({**NCHAN, "NCHAN_PUBLISH_URL": ""}, ["crowdwall.E031"]),
        ({**NCHAN, "NCHAN_PUBLISH_URL": "http://127.0.0.1:8089/pub"}, ["crowdwall.E031"]),
        ({**NCHAN, "NCHAN_PUBLISH_URL": None}, ["crowdwall.E031"]),
        ({**NCHAN, "PUBLISHER": "crowdwall.live.publisher.ChannelsPublisher"}, ["crowdwall.W030"]),
    ],
)
def test_bad_live_settings(settings, value, expected):
    assert ids(settings, value) == expected
