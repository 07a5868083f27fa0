"""``manage.py herdcache``: urls (list, filter, purge), stats (table, JSON), bad input."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from herdcache.management.commands.herdcache import Command
from herdcache.stats import EVENTS
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db

URL = "http://testserver{}"


@pytest.fixture(autouse=True)
def _reset_renders() -> None:
    """No renders counted, no entries or counters left by earlier tests in the default cache."""
    RENDERS.clear()
    caches["default"].clear()


def herdcache(*args: str) -> str:
    out = io.StringIO()
    call_command("herdcache", *args, stdout=out)
    return out.getvalue()


def visit(*paths: str) -> None:
    visitor = Client()
    for path in paths:
        assert visitor.get(path).status_code == 200


def table(output: str) -> dict[str, list[int]]:
    """Rows of the ``urls`` table: url -> [hit, miss, stale, refresh, lock_wait]."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0].startswith("http"):
            rows[cells[0]] = [int(cell) for cell in cells[1:]]
    return rows


def test_urls_lists_remembered_urls_with_counters(backend):
    visit("/p/1/", "/p/1/", "/p/1/", "/p/2/", "/plain/")  # /plain/ is cached but not remembered
    output = herdcache("urls")
    assert table(output) == {
        URL.format("/p/1/"): [2, 1, 0, 0, 0],
        URL.format("/p/2/"): [0, 1, 0, 0, 0],
    }
    header = next(line for line in output.splitlines() if line.strip())
    assert header.split() == ["url", "hit", "miss", "stale", "refresh", "lock_wait"]
    assert output.rstrip().endswith("2 remembered URLs.")


def test_urls_with_nothing_remembered():
    assert herdcache("urls").strip() == "0 remembered URLs."


def test_urls_patterns_filter_with_wildcards(backend):
    visit("/p/1/", "/p/2/", "/p/10/", "/p/21/")
    assert set(table(herdcache("urls", "/p/1*"))) == {URL.format("/p/1/"), URL.format("/p/10/")}
    assert set(table(herdcache("urls", "/p/1/", "/p/2[0-9]/"))) == {
        URL.format("/p/1/"),
        URL.format("/p/21/"),
    }
    assert set(table(herdcache("urls", "http://testserver/p/*0/"))) == {URL.format("/p/10/")}
    assert table(herdcache("urls", "/nothing/*")) == {}


def test_urls_purge_makes_the_next_request_render(backend):
    visit("/p/1/", "/p/2/", "/p/1/")
    assert RENDERS["post"] == 2
    output = herdcache("urls", "--purge", "/p/1/")
    assert set(table(output)) == {URL.format("/p/1/")}
    assert output.rstrip().endswith("1 URL purged.")
    visit("/p/1/", "/p/2/")
    assert RENDERS["post"] == 3  # /p/1/ rendered again, /p/2/ still cached
    assert table(herdcache("urls")) == {
        URL.format("/p/1/"): [0, 1, 0, 0, 0],  # purged counters start over
        URL.format("/p/2/"): [1, 1, 0, 0, 0],
    }


def test_urls_soft_purge_keeps_the_url_and_refreshes_once(backend):
    visit("/p/1/")
    output = herdcache("urls", "--purge", "--soft", "/p/1/")
    assert output.rstrip().endswith("1 URL purged (soft: marked stale).")
    visit("/p/1/", "/p/1/")
    assert RENDERS["post"] == 2  # one refresh, then fresh again
    assert table(herdcache("urls")) == {URL.format("/p/1/"): [1, 1, 0, 1, 0]}


def test_stats_json(backend):
    visit("/p/1/", "/p/1/", "/p/1/", "/p/2/")
    assert json.loads(herdcache("stats", "--json")) == {
        **dict.fromkeys(EVENTS, 0),
        "hit": 2,
        "miss": 2,
    }


def test_stats_table_shows_every_event_and_the_ratio(backend):
    visit("/p/1/", "/p/1/", "/p/1/", "/p/2/")
    output = herdcache("stats")
    rows = {cells[0]: cells[1] for cells in map(str.split, output.splitlines()) if len(cells) == 2}
    assert {event: rows[event] for event in EVENTS} == {
        **dict.fromkeys(EVENTS, "0"),
        "hit": "2",
        "miss": "2",
    }
    assert output.rstrip().endswith("hit ratio: 50.0%")


def test_stats_for_a_named_cache_alias(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "other": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "o"},
    }
    visit("/p/1/")
    assert json.loads(herdcache("stats", "--json", "--cache", "other"))["miss"] == 0
    assert json.loads(herdcache("stats", "--json", "--cache", "default"))["miss"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Name a subcommand: urls, stats"),
        (("nginx-typo",), "invalid choice: 'nginx-typo'"),
        (("urls", "--soft"), "--soft only applies together with --purge"),
        (("stats", "--cache", "nope"), "Unknown cache alias 'nope'"),
        (("urls", "--bogus"), "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message.replace("?", r"\?")):
        herdcache(*args)


def test_every_registered_subcommand_has_a_handler_and_a_parser():
    parser = Command().create_parser("manage.py", "herdcache")
    for name, (handler, help_text) in Command.subcommands.items():
        assert callable(getattr(Command, handler)) and help_text
        assert parser.parse_args([name]).subcommand == name
