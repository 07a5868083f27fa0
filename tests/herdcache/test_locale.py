"""The active language and time zone are part of page keys (herdcache.locale), as in Django."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from herdcache.edge import store
from herdcache.locale import chosen_per_request, locale_key
from tests.herdcache.views import RENDERS, localized

pytestmark = pytest.mark.django_db

LOCALE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]
rf = RequestFactory()


@pytest.fixture(autouse=True)
def i18n(settings, backend):
    settings.USE_I18N = True
    settings.USE_TZ = True
    settings.LANGUAGE_CODE = "en"
    settings.LANGUAGES = [("en", "English"), ("es", "Spanish")]
    RENDERS.clear()
    yield
    translation.deactivate()
    timezone.deactivate()


def test_language_from_locale_middleware_keys_the_decorated_page(settings):
    settings.MIDDLEWARE = LOCALE_MIDDLEWARE
    english = Client().get("/localized/", HTTP_ACCEPT_LANGUAGE="en")
    spanish = Client().get("/localized/", HTTP_ACCEPT_LANGUAGE="es")
    again = Client().get("/localized/", HTTP_ACCEPT_LANGUAGE="es")
    assert english.content.startswith(b"en ") and spanish.content.startswith(b"es ")
    assert again.content == spanish.content
    assert RENDERS["localized"] == 2


def test_language_keys_the_per_site_middleware_page(settings):
    settings.MIDDLEWARE = [
        "herdcache.middleware.UpdateCacheMiddleware",
        *LOCALE_MIDDLEWARE,
        "herdcache.middleware.FetchFromCacheMiddleware",
    ]
    english = Client().get("/site/", HTTP_ACCEPT_LANGUAGE="en")
    spanish = Client().get("/site/", HTTP_ACCEPT_LANGUAGE="es")
    assert english.content != spanish.content  # each rendered for its own language
    assert Client().get("/site/", HTTP_ACCEPT_LANGUAGE="es").content == spanish.content
    assert RENDERS["undecorated"] == 2


def test_activated_time_zone_keys_the_page():
    with timezone.override("Europe/Paris"):
        paris = localized(rf.get("/localized/"))
    with timezone.override("America/New_York"):
        new_york = localized(rf.get("/localized/"))
        new_york_again = localized(rf.get("/localized/"))
    assert b"Europe/Paris" in paris.content and b"America/New_York" in new_york.content
    assert new_york_again.content == new_york.content
    assert RENDERS["localized"] == 2


def test_defaults_leave_the_key_unchanged(settings):
    """Sites that never switch language or zone keep their keys (no mass miss on upgrade)."""
    assert locale_key(rf.get("/")) == ""
    with translation.override("es"), timezone.override("Asia/Tokyo"):
        assert locale_key(rf.get("/")) == "lang=es;tz=Asia/Tokyo"
    settings.USE_I18N = settings.USE_TZ = False
    with translation.override("es"), timezone.override("Asia/Tokyo"):
        assert locale_key(rf.get("/")) == ""


def test_a_language_chosen_per_request_keeps_the_page_off_the_edge(settings):
    request = rf.get("/p/", HTTP_HOST="example.com")
    assert not chosen_per_request(request)
    assert store.request_edge_key(request) is not None
    request.LANGUAGE_CODE = "en"  # LocaleMiddleware chose it, even if it is the default
    assert chosen_per_request(request)
    assert store.request_edge_key(request) is None


def test_language_in_the_path_may_go_to_the_edge():
    request = rf.get("/es/p/", HTTP_HOST="example.com")
    request.LANGUAGE_CODE = "es"
    with translation.override("es"):
        assert not chosen_per_request(request)


def test_an_activated_zone_keeps_the_page_off_the_edge():
    request = rf.get("/p/", HTTP_HOST="example.com")
    with timezone.override("America/New_York"):
        assert chosen_per_request(request)
        assert store.request_edge_key(request) is None
