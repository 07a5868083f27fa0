"""Plain-text tables of ``manage.py herdcache`` (herdcache.management.table)."""

from __future__ import annotations

from herdcache.management.table import render_table


def test_columns_align_and_numbers_right_align():
    text = render_table(
        ["url", "hit"], [["http://a/long/", "7"], ["http://b/", "1234"]], right=[False, True]
    )
    assert text.splitlines() == [
        "url              hit",
        "──────────────  ────",
        "http://a/long/     7",
        "http://b/       1234",
    ]


def test_only_the_header_is_styled_and_an_empty_table_keeps_its_header():
    text = render_table(["event", "count"], [], bold=lambda s: f"<{s}>")
    assert text == "<event  count>\n─────  ─────\n"
