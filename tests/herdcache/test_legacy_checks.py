"""Legacy settings (herdcache.legacy_checks): each fancy-cache/newcache setting gets its W1xx."""

from __future__ import annotations

import pytest
from django.core.checks import Warning
from django.core.management import call_command

from herdcache.legacy_checks import LEGACY_SETTINGS, check_legacy_settings


@pytest.mark.parametrize(
    ("setting", "value", "check_id", "replacement"),
    [
        (
            "FANCY_REMEMBER_ALL_URLS",
            True,
            "herdcache.W101",
            "HERDCACHE['REMEMBER_ALL_URLS'] = True",
        ),
        (
            "FANCY_REMEMBER_STATS_ALL_URLS",
            True,
            "herdcache.W102",
            "HERDCACHE['REMEMBER_STATS_ALL_URLS'] = True",
        ),
        ("FANCY_USE_MEMCACHED_CHECK_AND_SET", True, "herdcache.W103", "database table"),
        ("FANCY_COMPRESS_REMEMBERED_URLS", True, "herdcache.W104", "database table"),
        ("CACHE_VERSION", 3, "herdcache.W105", "HERDCACHE['VERSION'] = 3"),
        ("FLAVOR", "staging", "herdcache.W106", "HERDCACHE['FLAVOR'] = 'staging'"),
        ("CACHE_KEY_MODULE", "myapp.keys", "herdcache.W107", "HERDCACHE['KEY_FUNCTION']"),
        ("CACHE_HERD_TIMEOUT", 60, "herdcache.W108", "stale="),
    ],
)
def test_each_legacy_setting_warns_and_names_its_replacement(
    settings, setting: str, value: object, check_id: str, replacement: str
) -> None:
    setattr(settings, setting, value)
    (message,) = check_legacy_settings()
    assert isinstance(message, Warning)
    assert message.id == check_id
    assert setting in message.msg
    assert replacement in message.hint


def test_no_legacy_settings_no_warnings() -> None:
    assert check_legacy_settings() == []


def test_a_replacement_already_in_place_says_delete_the_old_setting(settings) -> None:
    settings.FLAVOR = "prod"
    settings.HERDCACHE = {**settings.HERDCACHE, "FLAVOR": "prod"}
    (message,) = check_legacy_settings()
    assert message.hint == "HERDCACHE['FLAVOR'] already says 'prod': delete FLAVOR."


def test_every_legacy_setting_at_once_gets_its_own_id(settings) -> None:
    for legacy in LEGACY_SETTINGS:
        setattr(settings, legacy.setting, 1)
    assert [m.id for m in check_legacy_settings()] == [f"herdcache.W10{n}" for n in range(1, 9)]


def test_manage_py_check_reports_them(settings, capsys) -> None:
    settings.CACHE_HERD_TIMEOUT = 60
    call_command("check")
    assert "herdcache.W108" in capsys.readouterr().err
