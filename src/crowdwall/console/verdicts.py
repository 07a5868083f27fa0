"""Which walls a sample's posts would reach, and why or why not — nothing stored.

The posts go through ingest's own pure half (``prepare_batch``: parse, validate, sanitize,
analyse) and each wall's compiled rules (``WallRules.selects``/``admits`` and
``verdicts.decide``, as the store applies them). The source under test may be unsaved or edited:
its include-all and scope are applied to the rules as the form has them, under its own id (or
``UNSAVED`` for a new one).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crowdwall.ingest.items import Item
from crowdwall.ingest.match import MatchInput, WallRules
from crowdwall.ingest.normalize import IncomingAuthor, Limits
from crowdwall.ingest.prepare import Prepared, prepare_batch
from crowdwall.ingest.verdicts import decide
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.models import Source
from crowdwall.sources.kinds import get_kind
from crowdwall.states import SourceScope

UNSAVED = -1  # the id a source under test has before it is saved (no row has it)


@dataclass(slots=True)
class WallVerdict:
    """One wall's answer for one post: ``state`` (approved, pending, rejected) or "" with why."""

    slug: str
    state: str
    why: str
    own: bool  # the wall the source belongs to


@dataclass(slots=True)
class PostVerdict:
    """One sampled post: who wrote what, and the walls it would reach or miss."""

    author: str
    text: str
    url: str
    language: str
    walls: list[WallVerdict] = field(default_factory=list)

    @property
    def reaches(self) -> list[WallVerdict]:
        return [w for w in self.walls if w.state]


@dataclass(slots=True)
class Report:
    """The whole answer: a verdict per post, and the items ingest would reject with reasons."""

    posts: list[PostVerdict] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _rules_for(source: Source) -> list[WallRules]:
    """The active walls (and the source's own, active or not), with this source's lane as the
    form sets it rather than as it is stored."""
    rules = {r.id: r for r in load_wall_rules()}
    if source.wall_id not in rules:
        rules.update({r.id: r for r in load_wall_rules([source.wall_id])})
    sid = source.pk or UNSAVED
    confined = (
        source.scope != SourceScope.ANY or SourceScope.ANY not in get_kind(source.kind).scopes
    )
    adjusted = []
    for wall in rules.values():
        include = wall.include_sources - {sid}
        closed = wall.closed_sources - {sid}
        if wall.id == source.wall_id and source.include_all:
            include |= {sid}
        if wall.id != source.wall_id and confined:
            closed |= {sid}
        adjusted.append(dataclasses.replace(wall, include_sources=include, closed_sources=closed))
    return adjusted


def why_not(wall: WallRules, post: MatchInput) -> str:
    """Why ``post`` would not appear on ``wall`` ("" when it would)."""
    if not wall.selects(post):
        return "no hashtag, keyword or account of this wall"
    if post.source_id in wall.closed_sources:
        return "this source feeds its own wall only"
    refusal = wall.refusal(post)
    if refusal:
        return f"consent: {refusal}"
    if wall.languages and post.language and post.language not in wall.languages:
        return f"language {post.language} (the wall shows {', '.join(sorted(wall.languages))})"
    for hidden, flag, what in (
        (wall.hide_replies, post.is_reply, "replies"),
        (wall.hide_boosts, post.is_boost, "boosts"),
        (wall.hide_bots, post.is_bot, "bots"),
        (wall.hide_sensitive, post.sensitive, "sensitive posts"),
    ):
        if hidden and flag:
            return f"the wall hides {what}"
    return ""


def why(wall: WallRules, post: MatchInput) -> str:
    """What selected ``post`` for ``wall``: the first rule that matched."""
    if post.source_id in wall.include_sources:
        return "every post of this source"
    tags = sorted(wall.hashtags & post.hashtags)
    if tags:
        return f"#{tags[0]}"
    rule = wall.keywords.find(post.body) if wall.keywords else None
    if rule is not None:
        return f"keyword {rule.raw}"
    return "one of the wall's accounts"


def wall_verdict(wall: WallRules, post: MatchInput, own: bool) -> WallVerdict:
    """``wall``'s answer for ``post``: the state it would start in and why, or why not."""
    reason = why_not(wall, post)
    if reason:
        return WallVerdict(wall.slug, "", reason, own)
    state, detail = decide(wall, post)
    because = why(wall, post) + (f"; {detail}" if detail else "")
    return WallVerdict(wall.slug, state, because, own)


def _byline(author: IncomingAuthor | None) -> str:
    if author is None:
        return ""
    if author.display_name and author.display_name != author.handle:
        return f"{author.display_name} ({author.handle})"
    return author.handle


def explain(source: Source, items: list[Item]) -> Report:
    """Run ``items`` through prepare and every wall's rules as if ``source`` had sent them."""
    sid = source.pk or UNSAVED
    batch = prepare_batch(sid, items, now=datetime.now(UTC), limits=Limits.current())
    rules = _rules_for(source)
    report = Report(rejected=[f"{r.external_id or '?'}: {r.reason}" for r in batch.rejected])
    for entry in batch.entries:
        if not isinstance(entry, Prepared):
            continue  # a deletion: nothing to show
        post = entry.matching()
        author = entry.post.author
        verdict = PostVerdict(
            author=_byline(author),
            text=entry.text[:280],
            url=entry.post.url,
            language=post.language,
        )
        for wall in rules:
            own = wall.id == source.wall_id
            answer = wall_verdict(wall, post, own)
            # Other walls only when the post is about them: the rest is noise.
            if own or answer.state or wall.selects(post):
                verdict.walls.append(answer)
        verdict.walls.sort(key=lambda w: (not w.own, w.slug))
        report.posts.append(verdict)
    return report
