"""fancy-cache's example app, browsed with the test client on ``herdcache.contrib.fancy``.

fancy-cache's example/example/app/tests.py holds only Django's placeholder test
(``1 + 1 == 2``), which reaches no cache code and is not ported; these tests exercise what the
example app demonstrates instead (see example_app.py, ported from it). Copyright (c) Peter
Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache). The example's settings
FANCY_REMEMBER_ALL_URLS / FANCY_REMEMBER_STATS_ALL_URLS are herdcache's REMEMBER_* settings.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.herdcache.conformance.fancy import example_app

pytestmark = [pytest.mark.django_db, pytest.mark.urls(example_app.__name__)]


@pytest.fixture(autouse=True)
def _example_settings(settings, fancy_caches) -> None:
    settings.HERDCACHE = {
        **settings.HERDCACHE,
        "REMEMBER_ALL_URLS": True,
        "REMEMBER_STATS_ALL_URLS": True,
    }
    example_app.RENDERS.clear()


def text(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_page1_is_rendered_once():
    assert text("/page1.html") == text("/page1.html")
    assert example_app.RENDERS["1"] == 1


def test_page2_redirects_without_a_number_and_caches_per_number():
    response = Client().get("/page2.html")
    assert response.status_code == 302
    assert response["Location"].endswith("/page2.html?number=25000000")
    text("/page2.html?number=1"), text("/page2.html?number=1"), text("/page2.html?number=2")
    assert example_app.RENDERS["2"] == 2


def test_page3_post_processor_runs_once_before_storing():
    first, second = text("/page3.html"), text("/page3.html")
    assert first == second and "Kilroy was here!" in first
    assert example_app.RENDERS["3"] == 1


def test_page4_post_processor_always_runs_on_every_response_and_is_never_stored():
    first, second = text("/page4.html"), text("/page4.html")  # its assert would fail if stored
    assert "Right here right now" in first and "Right here right now" in second
    assert first != second
    assert example_app.RENDERS["4"] == 1


def test_page5_only_foo_and_bar_matter():
    text("/page5.html?foo=1&junk=a"), text("/page5.html?junk=b&foo=1"), text("/page5.html?foo=2")
    assert example_app.RENDERS["5"] == 2


def test_home_lists_remembered_urls_with_hits_and_misses():
    text("/page1.html"), text("/page1.html"), text("/page5.html?foo=1&junk=a")
    home = text("/")
    assert "<li>/page1.html 1 1</li>" in home
    assert "<li>/page5.html?foo=1 0 1</li>" in home


def test_fancy_cache_stats_page_is_herdcaches_staff_page():
    assert Client().get("/fancy-cache").status_code == 403  # fancy-cache showed it to anyone
    staff = Client()
    staff.force_login(User.objects.create(username="staff", is_staff=True))
    text("/page1.html")
    response = staff.get("/fancy-cache")
    assert response.status_code == 200 and b"/page1.html" in response.content
