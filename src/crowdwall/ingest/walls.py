"""Compile walls (and their bans) from the database into ``WallRules`` for matching."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connections, router
from django.utils import timezone

from crowdwall.conf import conf
from crowdwall.ingest.bulk import select_in
from crowdwall.ingest.match import (
    AccountSet,
    KeywordSet,
    WallRules,
    compile_keywords,
    parse_keyword,
)
from crowdwall.models import BannedAuthor, BannedWord, NeverShow, Source, TrustedAccount, Wall
from crowdwall.schedule.rules import TalkRules, active_talk_rules
from crowdwall.sources.kinds import get_kind
from crowdwall.states import SourceScope

# Every value a scope column may hold ("" only for rows written around ``Source.save``).
_SCOPES = ["", *SourceScope.values]

logger = logging.getLogger("crowdwall.ingest")


def _keywords(entries: Iterable[str], where: str) -> KeywordSet:
    """Compiled keywords; an invalid entry (written around validation) is logged and skipped
    rather than stopping ingest for every wall."""
    valid = []
    for entry in entries:
        try:
            parse_keyword(entry)
        except ValueError as exc:
            logger.warning("Ignoring invalid keyword %r of %s: %s", entry, where, exc)
            continue
        valid.append(entry)
    return compile_keywords(tuple(valid))


def build_rules(
    wall: Wall,
    *,
    include_sources: Iterable[int] = (),
    closed_sources: Iterable[int] = (),
    banned_authors: Iterable[str] = (),
    banned_words: Iterable[str] = (),
    blocklist: KeywordSet | None = None,
    never_show: Iterable[str] = (),
    trusted: Iterable[str] = (),
    talk: TalkRules | None = None,
) -> WallRules:
    """``wall`` compiled, with what its running talks add (``talk``, crowdwall.schedule.rules)."""
    where = f"wall {wall.slug!r}"
    talk = talk or TalkRules()
    return WallRules(
        id=wall.pk,
        slug=wall.slug,
        moderation=wall.moderation,
        hashtags=frozenset(wall.hashtags or ()) | talk.hashtags,
        keywords=_keywords([*(wall.keywords or ()), *talk.keywords], where),
        accounts=AccountSet.of(wall.accounts or ()),
        languages=frozenset(wall.languages or ()),
        include_sources=frozenset(include_sources),
        closed_sources=frozenset(closed_sources),
        hide_replies=wall.hide_replies or "replies" in talk.filters,
        hide_boosts=wall.hide_boosts or "boosts" in talk.filters,
        hide_bots=wall.hide_bots or "bots" in talk.filters,
        hide_sensitive=wall.hide_sensitive or "sensitive" in talk.filters,
        banned_authors=AccountSet.of(banned_authors),
        banned_words=_keywords(banned_words, f"the bans of {where}"),
        blocklist=blocklist if wall.use_default_blocklist else None,
        never_show=AccountSet.of(never_show),
        followed_opt_in=wall.followed_accounts_opt_in,
        trusted=AccountSet.of(trusted),
    )


def default_blocklist() -> KeywordSet:
    return _keywords(sorted(conf.BLOCKLIST), "CROWDWALL['BLOCKLIST']")


def _any_wall(kind: str, scope: str) -> bool:
    """Whether a source's posts may reach any wall: its scope says so and its kind allows it (a
    webhook written as "any" around validation still feeds its own wall only)."""
    if scope != SourceScope.ANY:
        return False
    try:
        return SourceScope.ANY in get_kind(kind).scopes
    except ValueError:  # an unknown kind
        return False


# The per-wall lists read for every chunk: kind -> (model, the column listed).
_LISTS = {
    "banned_authors": (BannedAuthor, "account"),
    "banned_words": (BannedWord, "word"),
    "never_show": (NeverShow, "account"),  # entries without a wall apply to every wall
    "trusted": (TrustedAccount, "account"),
}


def _wall_lists(ids: list[int]) -> dict[str, defaultdict[int | None, list[str]]]:
    """The banned authors, banned words, never-show accounts (wall ``None``: every wall's) and
    trusted accounts of the walls ``ids``, by kind and wall: one ``UNION ALL`` query, not four.

    This runs for every chunk ingest stores; four round trips (one of them through the ORM)
    cost more than what they read, which is a few short rows. ``ids`` are primary keys
    (integers), written into the statement: no parameter limit to mind.
    """
    connection = connections[router.db_for_read(Wall)]
    quote = connection.ops.quote_name
    in_walls = ", ".join(str(int(pk)) for pk in ids)
    parts = []
    for number, (model, column) in enumerate(_LISTS.values()):
        meta = model._meta
        wall = quote(meta.get_field("wall").column)
        where = f"{wall} IN ({in_walls})"
        if model is NeverShow:
            where = f"({wall} IS NULL OR {where})"
        listed = quote(meta.get_field(column).column)
        parts.append(f"SELECT {number}, {wall}, {listed} FROM {quote(meta.db_table)} WHERE {where}")
    found: dict[str, defaultdict[int | None, list[str]]] = {k: defaultdict(list) for k in _LISTS}
    by_number = list(found.values())
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        for number, wall_id, value in cursor.fetchall():
            by_number[number][wall_id].append(value)
    return found


def load_wall_rules(
    wall_ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> list[WallRules]:
    """Every active wall (or the given ones), compiled with the rules of the talks running at
    ``now`` (default: now); three queries whatever the count (walls, sources, their lists), a
    fourth once a minute (talks).

    A source confined to its own wall (scope other than "any") is closed to every other wall,
    active or not: its wall being inactive must not let its posts spill elsewhere."""
    walls_qs = Wall.objects.all() if wall_ids is not None else Wall.objects.filter(is_active=True)
    if wall_ids is not None:
        walls_qs = walls_qs.filter(pk__in=list(wall_ids))
    walls = list(walls_qs)
    if not walls:
        return []
    ids = [wall.pk for wall in walls]
    # Lean selects (crowdwall.ingest.bulk, _wall_lists), not the ORM: this runs for every
    # chunk, and building querysets cost more than the database's answers.
    include: dict[int, list[int]] = defaultdict(list)
    confined: dict[int, set[int]] = defaultdict(set)  # wall -> its sources confined to it
    # Every source, whatever its wall (there are few): include-all ones of the loaded walls,
    # and every confined one, since it is closed to all walls but its own.
    for wall_id, source_id, kind, include_all, scope in select_in(
        Source, ["wall", "id", "kind", "include_all", "scope"], "scope", _SCOPES
    ):
        if include_all:
            include[wall_id].append(source_id)
        if not _any_wall(kind, scope):
            confined[wall_id].add(source_id)
    lists = _wall_lists(ids)
    authors, words, hidden, trusted = (lists[kind] for kind in _LISTS)
    all_confined: frozenset[int] = frozenset().union(*confined.values())
    blocklist = default_blocklist() if any(w.use_default_blocklist for w in walls) else None
    talks = active_talk_rules(now or timezone.now())
    return [
        build_rules(
            wall,
            include_sources=include[wall.pk],
            closed_sources=all_confined - confined.get(wall.pk, set()),
            banned_authors=authors[wall.pk],
            banned_words=sorted(words[wall.pk]),
            blocklist=blocklist,
            never_show=[*hidden[None], *hidden[wall.pk]],
            trusted=trusted[wall.pk],
            talk=talks.get(wall.pk),
        )
        for wall in walls
    ]
