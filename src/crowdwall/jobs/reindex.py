"""``reindex``: bring stored posts in line with today's rules after a rule change.

For every post of a chunk (posts deleted at the source are left alone):

1. **Re-sanitize.** ``Post`` keeps only the sanitized HTML, not what the source sent, so the
   stored HTML goes through today's sanitizer again. Sanitizing is idempotent: with an unchanged
   allow-list nothing changes; a narrowed one strips what it no longer allows. A widened one
   cannot bring back what was dropped at ingest (the raw is gone): that needs a re-fetch. When
   the HTML changes, the plain text and the fingerprint are recomputed from it (so a later
   re-delivery of the same post is still recognised as unchanged); hashtags are kept as stored
   (they include the source's own tags, which the HTML cannot tell apart).
2. **Re-match** against the walls in scope (every active wall, or ``--wall``), with the same
   ``Matcher`` and moderation rules (``decide``) as ingest, and reconcile each ``PostWall``:

   ===================================  =================================================
   matches, no entry                    added, state as ingest would decide it now
   automatic entry, still matches       state and reason recomputed (mode, bans, blocklist,
                                        trusted authors); an approval because a trusted
                                        account boosted or favourited it is kept (who did
                                        is not stored) unless a ban now rejects it
   automatic entry, no longer matches   removed (the post row stays: rules may widen again)
   human decision (moderated, pinned)   kept, whether it matches or not; only a wall ban
                                        still rejects a pending/approved one (as
                                        ``reapply_bans`` does)
   deleted at the source                untouched
   ===================================  =================================================

   An entry is a human decision when a moderator pinned it or set its state (``moderated_at``
   set and no automatic ``reason``); a ban rejection records its reason, so it is automatic
   and is lifted again when the ban is.

The result is what ingesting every stored post afresh under today's rules would give, human
decisions kept, so running it twice changes nothing the second time. The run's fingerprint
includes a digest of those rules (walls, sources fed whole to a wall, bans, the blocklist, the
sanitizer module and nh3's version): a rule change makes the next reindex a new run, and a
rule change *during* a run stops it at the next chunk (``JobError``; each chunk checks the
digest in its transaction) rather than mixing two rule sets.

Writes are bulk per chunk; after commit the affected walls' pages are soft-purged and one
``post.moderation`` event is published per post whose wall entries changed (an entry removed
from a wall is announced as ``rejected`` there: not shown any more). Content-only changes are
not announced: pages pick them up through the purge.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib.metadata import PackageNotFoundError, version
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from crowdwall.conf import conf
from crowdwall.exceptions import JobError
from crowdwall.ingest import sanitize
from crowdwall.ingest.announce import announce
from crowdwall.ingest.match import (
    OPTED_OUT_REASON,
    Haystack,
    Matcher,
    MatchInput,
    WallRules,
    fold,
    normalize_language,
)
from crowdwall.ingest.prepare import fingerprint
from crowdwall.ingest.publisher import Event, EventKind
from crowdwall.ingest.references import lock_walls
from crowdwall.ingest.verdicts import ban_reason, decide, kept_trust
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.jobs.base import Job, Stats
from crowdwall.jobs.slicing import Chunk
from crowdwall.models import (
    BannedAuthor,
    BannedWord,
    ModerationState,
    NeverShow,
    Post,
    PostWall,
    Source,
    TrustedAccount,
    Wall,
)
from crowdwall.models.walls import RULE_FIELDS

_OPEN = (ModerationState.PENDING, ModerationState.APPROVED)
# What a wall matches by (its name is not a rule: renaming a wall re-indexes nothing).
_WALL_RULE_FIELDS = ("id", *(name for name in RULE_FIELDS if name != "name"))
_POST_FIELDS = (
    "id",
    "source_id",
    "url",
    "content_html",
    "text",
    "spoiler_text",
    "sensitive",
    "is_reply",
    "is_boost",
    "language",
    "hashtags",
    "media",
    "extras",
    "fingerprint",
    "created_at",
    "author__id",
    "author__key",
    "author__handle",
    "author__display_name",
    "author__is_bot",
    "author__opted_out",
)


def scope_wall_ids(slug: str | None) -> list[int]:
    """The walls a reindex re-matches: the named one (active or not), else every active wall."""
    if slug is None:
        return sorted(Wall.objects.filter(is_active=True).values_list("pk", flat=True))
    ids = list(Wall.objects.filter(slug=slug).values_list("pk", flat=True))
    if not ids:
        raise JobError(f"No wall with slug {slug!r}.")
    return ids


@lru_cache(maxsize=1)
def sanitizer_digest() -> str:
    """Changes whenever the sanitizer could: its module's source, and the nh3 it drives."""
    try:
        nh3_version = version("nh3")
    except PackageNotFoundError:  # pragma: no cover - installed from source
        nh3_version = "?"
    try:
        code = inspect.getsource(sanitize)
    except (OSError, TypeError):  # installed without sources: the allow-list's public names
        code = repr(
            (sorted(sanitize.ALLOWED_TAGS), sorted(sanitize.URL_SCHEMES), sanitize.LINK_REL)
        )
    blob = code + "\0" + nh3_version
    return hashlib.sha256(blob.encode()).hexdigest()


def rules_digest(wall_ids: list[int]) -> str:
    """A hash of everything a reindex applies to these walls (see the module docstring)."""
    walls = list(Wall.objects.filter(pk__in=wall_ids).order_by("pk").values(*_WALL_RULE_FIELDS))
    state = {
        "walls": walls,
        "include": sorted(
            Source.objects.filter(wall__in=wall_ids, include_all=True).values_list("wall_id", "id")
        ),
        "banned_authors": sorted(
            BannedAuthor.objects.filter(wall__in=wall_ids).values_list("wall_id", "account")
        ),
        "banned_words": sorted(
            BannedWord.objects.filter(wall__in=wall_ids).values_list("wall_id", "word")
        ),
        "never_show": sorted(
            NeverShow.objects.filter(Q(wall__in=wall_ids) | Q(wall__isnull=True)).values_list(
                "wall_id", "account"
            ),
            key=repr,
        ),
        "trusted": sorted(
            TrustedAccount.objects.filter(wall__in=wall_ids).values_list("wall_id", "account")
        ),
        "blocklist": sorted(conf.BLOCKLIST),
        "sanitizer": sanitizer_digest(),
    }
    blob = json.dumps(state, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def match_input(row: dict[str, Any]) -> MatchInput:
    """What matching sees of a stored post: the same fields ``pipeline.prepare`` gives it."""
    text, spoiler = row["text"], row["spoiler_text"]
    return MatchInput(
        source_id=row["source_id"],
        body=Haystack(f"{spoiler}\n{text}" if spoiler else text),
        hashtags=frozenset(row["hashtags"] or ()),
        author_id=row["author__key"],
        author_handle=fold(row["author__handle"]),
        name=Haystack(row["author__display_name"]),
        language=normalize_language(row["language"]),
        is_reply=row["is_reply"],
        is_boost=row["is_boost"],
        is_bot=row["author__is_bot"],
        sensitive=row["sensitive"],
        opted_out=row["author__opted_out"],
    )


def is_human(entry: dict[str, Any]) -> bool:
    """A moderator's decision: pinned, or a state set by hand (no automatic reason)."""
    return bool(entry["pinned"]) or (entry["moderated_at"] is not None and not entry["reason"])


def reconcile(
    entry: dict[str, Any] | None, wall: WallRules, post: MatchInput, matched: bool
) -> tuple[str, str, str] | None:
    """``(action, state, reason)`` for one post on one wall, ``None`` to leave it as it is;
    action is ``add``, ``set`` or ``remove`` (the table in the module docstring)."""
    if entry is None:
        return ("add", *decide(wall, post)) if matched else None
    if entry["state"] == ModerationState.DELETED or entry["reason"] == OPTED_OUT_REASON:
        return None  # final; an opt-out may have come from a post's own label, not stored
    if is_human(entry):
        reason = ban_reason(wall, post) if entry["state"] in _OPEN else ""
        return ("set", ModerationState.REJECTED, reason) if reason else None
    if not matched:
        return ("remove", "", "")
    if kept_trust(entry["reason"]) and not ban_reason(wall, post):
        # Who boosted (or favourited) it is not stored, so this approval cannot be recomputed.
        return None
    state, reason = decide(wall, post)
    if (state, reason) == (entry["state"], entry["reason"]):
        return None
    return ("set", state, reason)


def _resanitized(row: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(html, text, fingerprint)`` when today's sanitizer changes the stored HTML."""
    html = sanitize.sanitize_html(row["content_html"])
    if html == row["content_html"]:
        return None
    media = [
        {"url": m.get("url", ""), "type": m.get("type", ""), "alt": m.get("alt", "")}
        for m in row["media"] or ()
    ]
    fields = SimpleNamespace(
        spoiler_text=row["spoiler_text"],
        sensitive=row["sensitive"],
        language=row["language"],
        url=row["url"],
    )
    return (
        html,
        sanitize.html_to_text(html),
        fingerprint(html, fields, row["hashtags"], media, row["extras"]),
    )  # type: ignore[arg-type]


class ReindexJob(Job):
    """Re-sanitize and re-match posts by primary-key chunks (see the module docstring)."""

    name = "reindex"
    model = Post
    stat_names = ("posts", "sanitized", "added", "removed", "changed", "kept")

    @classmethod
    def describe(cls, *, wall: str | None = None, label: str = "") -> dict[str, Any]:
        return {"wall": wall, "label": label, "rules": rules_digest(scope_wall_ids(wall))}

    def prepare(self) -> None:
        wall_ids = scope_wall_ids(self.params["wall"])
        self.rules = load_wall_rules(wall_ids)
        self.matcher = Matcher(self.rules)
        self.by_id = {rule.id: rule for rule in self.rules}
        self._check_rules()

    def _check_rules(self) -> None:
        if rules_digest(list(self.by_id)) != self.params["rules"]:
            raise JobError(
                "The walls' rules changed since this reindex started; run it again "
                "(a new run applies the new rules to every post)."
            )

    def run_chunk(self, chunk: Chunk) -> Stats:
        # The walls stay until this chunk commits (entries have no foreign-key constraint:
        # crowdwall.models.locking); a wall deleted before that changed the rules.
        lock_walls(list(self.by_id))
        self._check_rules()  # each chunk under the run's rules, or none at all
        rows, current = self._load(chunk)
        changes = _Changes(stats=dict.fromkeys(self.stat_names, 0))
        for row in rows:
            changes.stats["posts"] += 1
            new_content = _resanitized(row)
            if new_content is not None:
                html, text, digest = new_content
                changes.content.append(
                    Post(pk=row["id"], content_html=html, text=text, fingerprint=digest)
                )
                row = {**row, "content_html": html, "text": text}
            post = match_input(row)
            matched = {wall.id for wall in self.matcher.match(post)}
            for wall in self.rules:
                entry = current[row["id"]].get(wall.id)
                todo = reconcile(entry, wall, post, wall.id in matched)
                changes.apply(row, wall, entry, todo)
                if todo is None and entry is not None and is_human(entry):
                    automatic = decide(wall, post) if wall.id in matched else None
                    if automatic != (entry["state"], entry["reason"]):
                        changes.stats["kept"] += 1  # the rules alone would say otherwise
        changes.save()
        return changes.stats

    def _load(
        self, chunk: Chunk
    ) -> tuple[list[dict[str, Any]], defaultdict[int, dict[int, dict[str, Any]]]]:
        """The chunk's live posts, and their entries on the walls in scope (post -> wall ->
        entry), locked where the database can (no moderator or edit slips in between)."""
        posts = Post.objects.filter(
            pk__gte=chunk.start, pk__lt=chunk.end, deleted_at__isnull=True
        ).order_by("pk")
        entries = PostWall.objects.filter(
            post_id__gte=chunk.start, post_id__lt=chunk.end, wall_id__in=list(self.by_id)
        )
        if connection.features.has_select_for_update:
            of = ("self",) if connection.features.has_select_for_update_of else ()
            posts = posts.select_for_update(of=of)
            entries = entries.select_for_update()
        current: defaultdict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for entry in entries.values(
            "id", "post_id", "wall_id", "state", "reason", "pinned", "moderated_at"
        ):
            current[entry["post_id"]][entry["wall_id"]] = entry
        return list(posts.values(*_POST_FIELDS)), current


@dataclass
class _Changes:
    """One chunk's writes, collected, then saved in bulk (``save``)."""

    stats: Stats
    content: list[Post] = field(default_factory=list)
    added: list[PostWall] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    changed: list[PostWall] = field(default_factory=list)
    announce: defaultdict[int, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    purge: set[str] = field(default_factory=set)

    def apply(
        self,
        row: dict[str, Any],
        wall: WallRules,
        entry: dict[str, Any] | None,
        todo: tuple[str, str, str] | None,
    ) -> None:
        if todo is None:
            return
        action, state, reason = todo
        if action == "add":
            self.added.append(
                PostWall(
                    wall_id=wall.id,
                    post_id=row["id"],
                    author_id=row["author__id"],
                    created_at=row["created_at"],
                    state=state,
                    reason=reason,
                )
            )
            self.stats["added"] += 1
        elif action == "remove":
            assert entry is not None
            self.removed.append(entry["id"])
            state = ModerationState.REJECTED  # as announced: not shown any more
            self.stats["removed"] += 1
        else:
            assert entry is not None
            self.changed.append(PostWall(pk=entry["id"], state=state, reason=reason, pinned=False))
            self.stats["changed"] += 1
        self.announce[row["id"]][wall.slug] = state
        was_shown = entry is not None and entry["state"] == ModerationState.APPROVED
        if was_shown or state == ModerationState.APPROVED:
            self.purge.add(wall.slug)

    def save(self) -> None:
        if self.content:
            Post.objects.bulk_update(self.content, ["content_html", "text", "fingerprint"])
            self.stats["sanitized"] = len(self.content)
            self.purge.update(  # every wall showing a post whose HTML changed, in scope or not
                PostWall.objects.filter(
                    post_id__in=[post.pk for post in self.content],
                    state=ModerationState.APPROVED,
                )
                .values_list("wall__slug", flat=True)
                .distinct()
            )
        if self.removed:
            PostWall.objects.filter(pk__in=self.removed).delete()
        PostWall.objects.bulk_create(self.added)
        PostWall.objects.bulk_update(self.changed, ["state", "reason", "pinned"])
        events = [Event(EventKind.MODERATION, pid, walls) for pid, walls in self.announce.items()]
        transaction.on_commit(partial(_announce, events, set(self.purge)))


def _announce(events: list[Event], slugs: set[str]) -> None:
    announce(events, slugs, figures={slug for event in events for slug in event.walls})
