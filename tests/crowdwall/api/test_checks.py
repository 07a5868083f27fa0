"""System checks of the API settings (crowdwall.E040–E043, W040)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from crowdwall.api.checks import check_api_settings, check_api_token_users

GOOD = "a" * 32


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_defaults_are_fine(settings):
    settings.CROWDWALL = {}
    assert check_api_settings() == []


@pytest.mark.parametrize(
    ("crowdwall", "expected"),
    [
        ({"API_TOKENS": ["tok"]}, ["crowdwall.E040"]),
        ({"API_TOKENS": {GOOD: ""}}, ["crowdwall.E040"]),
        ({"API_TOKENS": {"short": "mod"}}, ["crowdwall.E041"]),
        ({"API_ANON_RATE": "lots"}, ["crowdwall.E042"]),
        ({"API_ANON_RATE": "10/fortnight"}, ["crowdwall.E042"]),
        ({"API_ANON_RATE": None}, []),
        ({"API_PAGE_SIZE": 0}, ["crowdwall.E043"]),
        ({"API_PAGE_SIZE": 500}, ["crowdwall.E043"]),
        ({"API_CACHE_SECONDS": -1}, ["crowdwall.E043"]),
    ],
)
def test_bad_settings(settings, crowdwall, expected):
    settings.CROWDWALL = crowdwall
    assert ids(check_api_settings()) == expected


def test_a_short_token_is_reported_without_its_value(settings):
    settings.CROWDWALL = {"API_TOKENS": {"sekrit": "mod"}}
    (message,) = check_api_settings()
    assert "sekrit" not in message.msg and "mod" in message.msg


def test_tokens_must_name_active_staff(settings, db):
    users = get_user_model().objects
    users.create_user("mod", is_staff=True)
    users.create_user("member")
    users.create_user("gone", is_staff=True, is_active=False)
    settings.CROWDWALL = {
        "API_TOKENS": {GOOD: "mod", "b" * 32: "member", "c" * 32: "gone", "d" * 32: "ghost"}
    }
    assert check_api_token_users(databases=None) == []  # only with --database
    (warning,) = check_api_token_users(databases=["default"])
    assert warning.id == "crowdwall.W040"
    assert "member" in warning.msg and "gone" in warning.msg and "ghost" in warning.msg
    assert "mod," not in warning.msg and GOOD not in warning.msg


def test_the_user_check_is_quiet_before_migrations(settings, db, monkeypatch):
    """``migrate`` runs database checks before the auth tables exist."""
    from django.db import OperationalError

    def missing_table(*args, **kwargs):
        raise OperationalError("no such table: auth_user")

    monkeypatch.setattr(get_user_model()._default_manager, "filter", missing_table)
    settings.CROWDWALL = {"API_TOKENS": {GOOD: "mod"}}
    assert check_api_token_users(databases=["default"]) == []
