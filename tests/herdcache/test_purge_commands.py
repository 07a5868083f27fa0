"""``manage.py herdcache purge`` (with --dry-run) and bad input to ``purge``/``rewarm``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from herdcache.models import PurgeLog
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_renders():
    RENDERS.clear()


def herdcache(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("herdcache", *args, stdout=out)
    return out.getvalue().splitlines()


def visit(*paths: str) -> None:
    for path in paths:
        assert Client().get(path).status_code == 200


def test_dry_run_lists_what_would_go_page_by_page_and_purges_nothing(backend):
    visit(*(f"/p/{n}/" for n in range(1, 6)))
    first = herdcache("purge", "--dry-run", "/p/*", "--page-size", "2")
    assert first == [
        "http://testserver/p/1/",
        "http://testserver/p/2/",
        "5 remembered URLs would be purged (dry run: nothing purged); page 1 of 3, --page N for the "
        "others.",
    ]
    assert herdcache("purge", "--dry-run", "/p/*", "--page-size", "2", "--page", "3")[0] == (
        "http://testserver/p/5/"
    )
    by_tag = herdcache("purge", "--dry-run", "--tag", "posts")
    assert by_tag[-2:] == [
        "5 remembered URLs would be purged (dry run: nothing purged).",
        "Tags also purge entries that are not remembered (not listed).",
    ]
    visit("/p/1/")
    assert RENDERS["post"] == 5 and not PurgeLog.objects.exists()


def test_purge_purges_and_logs_the_command_as_the_reason(backend):
    visit("/p/1/", "/p/2/", "/plain/")
    assert herdcache("purge", "--prefix", "/p/") == ["2 remembered URLs purged."]
    visit("/p/1/", "/p/2/")
    assert RENDERS["post"] == 4
    log = PurgeLog.objects.get()
    assert (log.reason, log.matched, log.criteria) == ("command", 2, {"prefix": "/p/"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["purge"], "Name what to purge: a URL pattern, --tag T or --prefix P."),
        (["purge", "--dry-run"], "Name what to purge"),
        (["purge", "--dry-run", "/p/*", "--page", "2"], r"--page 2 is past the last page \(1\)"),
        (["purge", "--dry-run", "/p/*", "--page", "0"], "expected a positive number, got '0'"),
        (["rewarm", "--origin", "ftp://x"], "--origin must be scheme://host"),
        (["rewarm", "--top", "-1"], "expected a positive number, got '-1'"),
    ],
)
def test_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message):
        herdcache(*args)
