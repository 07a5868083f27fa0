"""Why a sampled post would (not) reach a wall: one reason per rule that keeps it off, the
first rule that selected it, and the state it would start in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crowdwall.console.verdicts import UNSAVED, wall_verdict, why_not
from crowdwall.ingest.keywords import Haystack, KeywordSet
from crowdwall.ingest.match import AccountSet, MatchInput, WallRules

WALL = WallRules(id=1, slug="djangocon", moderation="open", hashtags=frozenset({"djangocon"}))
POST = MatchInput(
    source_id=UNSAVED,
    body=Haystack("Off to #djangocon"),
    hashtags=frozenset({"djangocon"}),
    author_id="https://social.example/users/ann",
    author_handle="ann@social.example",
    language="en",
)


@pytest.mark.parametrize(
    ("wall", "post", "reason"),
    [
        (WALL, replace(POST, hashtags=frozenset()), "no hashtag, keyword or account"),
        (replace(WALL, closed_sources=frozenset({UNSAVED})), POST, "feeds its own wall only"),
        (WALL, replace(POST, opted_out=True), "consent: author opted out"),
        (
            replace(WALL, never_show=AccountSet.of(["@ann@social.example"])),
            POST,
            "consent: never show",
        ),
        (replace(WALL, languages=frozenset({"de"})), POST, "language en (the wall shows de)"),
        (replace(WALL, hide_replies=True), replace(POST, is_reply=True), "hides replies"),
        (replace(WALL, hide_bots=True), replace(POST, is_bot=True), "hides bots"),
        (replace(WALL, hide_sensitive=True), replace(POST, sensitive=True), "sensitive posts"),
    ],
)
def test_why_a_post_stays_off_a_wall(wall, post, reason):
    assert reason in why_not(wall, post)
    assert wall_verdict(wall, post, own=True).state == ""


@pytest.mark.parametrize(
    ("wall", "state", "why"),
    [
        (WALL, "approved", "#djangocon"),
        (replace(WALL, moderation="pre_approve"), "pending", "#djangocon"),
        (
            replace(WALL, hashtags=frozenset(), keywords=KeywordSet(["off"])),
            "approved",
            "keyword off",
        ),
        (
            replace(WALL, banned_words=KeywordSet(["djangocon"])),
            "rejected",
            "#djangocon; banned word: djangocon",
        ),
        (replace(WALL, include_sources=frozenset({UNSAVED})), "approved", "every post"),
    ],
)
def test_what_a_reaching_post_would_start_as_and_why(wall, state, why):
    verdict = wall_verdict(wall, POST, own=True)
    assert verdict.state == state
    assert verdict.why.startswith(why)
