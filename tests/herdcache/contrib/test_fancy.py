"""herdcache.contrib.fancy beyond fancy-cache's own suite: argument shapes and pattern rules."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import RequestFactory

import herdcache
from herdcache.contrib.fancy import cache_page, find_urls

pytestmark = pytest.mark.django_db

rf = RequestFactory()
SEEN: list[tuple] = []


def _prefix(request):
    """fancy-cache's key_prefix signature: the request, nothing else."""
    SEEN.append((request.path,))
    return request.GET.get("v") or None


@cache_page(60, key_prefix=_prefix, remember_all_urls=True)
def post(request, pk):
    return _page(request, f"post {pk}")


@cache_page(60, remember_all_urls=True)
def page(request):
    return _page(request, "page")


@cache_page(60, remember_all_urls=True, remember_stats_all_urls=True)
def counted(request):
    return _page(request, "counted")


@cache_page(None, cache_timeout=30)
def default_timeout(request):
    return _page(request, "default")


RENDERS: list[str] = []


def _page(request, name: str):
    from django.http import HttpResponse

    RENDERS.append(name)
    return HttpResponse(f"{name} #{len(RENDERS)}")


@pytest.fixture(autouse=True)
def _reset() -> None:
    SEEN.clear()
    RENDERS.clear()


def visit(view, *paths: str, **kwargs) -> None:
    for path in paths:
        assert view(rf.get(path), **kwargs).status_code == 200


def test_key_prefix_callable_gets_the_request_alone(backend):
    visit(post, "/p/1/?v=a", "/p/1/?v=a", pk=1)
    assert RENDERS == ["post 1"] and SEEN == [("/p/1/",), ("/p/1/",)]
    visit(post, "/p/1/", "/p/1/", pk=1)  # prefix None: not cached
    assert RENDERS.count("post 1") == 3


def test_cache_timeout_is_the_timeout_when_timeout_is_none(backend):
    response = default_timeout(rf.get("/d/"))
    assert "max-age=30" in response["Cache-Control"]
    default_timeout(rf.get("/d/"))
    assert RENDERS == ["default"]


def test_a_pattern_without_star_is_one_url_exactly(backend):
    visit(page, "/a.html", "/a.html?x=1", "/a.htmlx")
    assert [url for url, _, _ in find_urls(["/a.html"])] == ["/a.html"]
    assert sorted(url for url, _, _ in find_urls(["/a.html*"])) == [
        "/a.html",
        "/a.html?x=1",
        "/a.htmlx",
    ]


def test_question_mark_and_brackets_are_literal(backend):
    visit(page, "/a?x=1", "/ab?x=1", "/q?x=[1]", "/q?x=1")
    assert [url for url, _, _ in find_urls(["/a?x=1"])] == ["/a?x=1"]
    assert [url for url, _, _ in find_urls(["/q?x=[1]"])] == ["/q?x=[1]"]  # not a class
    assert sorted(url for url, _, _ in find_urls(["/a*?x=1"])) == ["/a?x=1", "/ab?x=1"]


def test_stats_are_none_unless_counted_and_fold_into_hits_and_misses(backend):
    visit(page, "/plain")
    visit(counted, "/counted", "/counted", "/counted")
    found = {url: stats for url, _, stats in find_urls()}
    assert found == {"/plain": None, "/counted": {"hits": 2, "misses": 1}}


def test_fancy_urls_command_prints_stats_and_purges(backend, settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "herdcache.contrib.fancy"]
    visit(counted, "/counted", "/counted")
    out = StringIO()
    call_command("fancy-urls", "/count*", verbosity=2, stdout=out)
    assert "HITS 1" in out.getvalue() and "MISSES 1" in out.getvalue()
    assert "-- 1 URLs cached --" in out.getvalue()
    call_command("fancy-urls", "--purge", stdout=StringIO())
    assert list(find_urls()) == []
    visit(counted, "/counted")
    assert RENDERS == ["counted", "counted"]


def test_importing_the_module_needs_no_settings():
    code = "import herdcache.contrib.fancy as f; assert f.__all__ == ['cache_page', 'find_urls']"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(herdcache.__file__).resolve().parent.parent)},  # this herdcache
    )
    assert result.returncode == 0, result.stderr
