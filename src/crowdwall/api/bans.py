"""A wall's bans (its viewers read, its moderators change): authors and words, applied to posts already there as well.

Banning goes through ``crowdwall.moderation.service`` (audited, retroactive, pushed to open
pages); lifting a ban leaves the posts it rejected rejected (approve them if wanted).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import (
    AuthorBanIn,
    AuthorBanPage,
    AuthorBanResult,
    WordBanIn,
    WordBanPage,
    WordBanResult,
)
from crowdwall.ingest.match import normalize_account
from crowdwall.models import BannedAuthor, BannedWord
from crowdwall.moderation import service

router = Router(tags=["bans"], auth=STAFF)

_LIMIT = Query(None, ge=1, le=MAX_LIMIT)


def _page(request: HttpRequest, qs: Any, limit: int | None, cursor: str | None) -> dict[str, Any]:
    return paginate(
        request, qs, fields=["id"], types=[int], key=lambda b: (b.pk,), limit=limit, cursor=cursor
    )


@router.get("/{slug}/bans/authors/", response=AuthorBanPage, summary="Banned authors")
def list_author_bans(
    request: HttpRequest,
    slug: str,
    limit: int | None = _LIMIT,  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The wall's banned authors, newest ban first."""
    return _page(
        request, BannedAuthor.objects.filter(wall=wall_for(request, slug, "view")), limit, cursor
    )


@router.post("/{slug}/bans/authors/", response={201: AuthorBanResult}, summary="Ban an author")
def ban_author(request: HttpRequest, slug: str, payload: AuthorBanIn) -> Status:
    """Ban an ``account`` (or the author of ``post``); their posts on the wall go at once."""
    wall = wall_for(request, slug, "moderate")
    if (payload.account is None) == (payload.post is None):
        raise ApiError(
            422,
            "Name either an account or a post.",
            fields={"account": ["Give exactly one of account and post."]},
        )
    account = payload.account or service.author_of(wall, payload.post or 0)
    ban, rejected = service.ban_author(wall, account, actor=request.auth, note=payload.note)
    return Status(
        201,
        {
            "account": ban.account,
            "note": ban.note,
            "created_at": ban.created_at,
            "rejected": rejected,
        },
    )


@router.delete("/{slug}/bans/authors/", response={204: None}, summary="Lift an author ban")
def unban_author(
    request: HttpRequest,
    slug: str,
    account: str = Query(..., min_length=1, max_length=255),  # type: ignore[assignment]
) -> Status:
    """Lift the ban of ``?account=`` (404 when there is none)."""
    if not service.unban_author(
        wall_for(request, slug, "moderate"), normalize_account(account), actor=request.auth
    ):
        raise ApiError(404, "No such ban.")
    return Status(204, None)


@router.get("/{slug}/bans/words/", response=WordBanPage, summary="Banned words")
def list_word_bans(
    request: HttpRequest,
    slug: str,
    limit: int | None = _LIMIT,  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The wall's banned words and phrases, newest first."""
    return _page(
        request, BannedWord.objects.filter(wall=wall_for(request, slug, "view")), limit, cursor
    )


@router.post("/{slug}/bans/words/", response={201: WordBanResult}, summary="Ban a word")
def ban_word(request: HttpRequest, slug: str, payload: WordBanIn) -> Status:
    """Ban a word or phrase (keyword syntax); matching posts on the wall go at once."""
    ban, rejected = service.ban_word(
        wall_for(request, slug, "moderate"), payload.word, actor=request.auth
    )
    return Status(201, {"word": ban.word, "created_at": ban.created_at, "rejected": rejected})


@router.delete("/{slug}/bans/words/", response={204: None}, summary="Lift a word ban")
def unban_word(
    request: HttpRequest,
    slug: str,
    word: str = Query(..., min_length=1, max_length=200),  # type: ignore[assignment]
) -> Status:
    """Lift the ban of ``?word=`` (404 when there is none)."""
    if not service.unban_word(
        wall_for(request, slug, "moderate"), word.strip(), actor=request.auth
    ):
        raise ApiError(404, "No such ban.")
    return Status(204, None)
