"""The never-show list: accounts no wall stores or shows, globally (full access only) or on one
wall (its viewers read, its moderators change it).

Adding goes through ``crowdwall.moderation.never_show`` (audited, retroactive, pushed to open
pages); removing lets the account's new posts in again, and leaves the old ones off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import site_wide, wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import Meta, Strict
from crowdwall.models import NeverShow, Wall
from crowdwall.moderation import never_show

router = Router(tags=["never-show"], auth=STAFF)

_LIMIT = Query(None, ge=1, le=MAX_LIMIT)
_ACCOUNT = Query(..., min_length=1, max_length=255)


class NeverShowIn(Strict):
    """An account (stable id such as an actor URI or a DID, or ``@handle``) and who asked."""

    account: str = Field(min_length=1, max_length=255)
    note: str = Field("", max_length=200)


class NeverShowOut(Schema):
    account: str
    note: str
    created_at: datetime


class NeverShowResult(NeverShowOut):
    withdrawn: int = Field(description="Posts already on walls that the entry took off.")


class NeverShowPage(Schema):
    meta: Meta
    objects: list[NeverShowOut]


def _page(request: HttpRequest, wall: Wall | None, limit: int | None, cursor: str | None) -> Any:
    return paginate(
        request,
        NeverShow.objects.filter(wall=wall),
        fields=["id"],
        types=[int],
        key=lambda entry: (entry.pk,),
        limit=limit,
        cursor=cursor,
    )


def _add(request: HttpRequest, wall: Wall | None, payload: NeverShowIn) -> Status:
    entry, withdrawn = never_show.add(
        payload.account, wall=wall, note=payload.note, actor=request.auth
    )
    body = {
        "account": entry.account,
        "note": entry.note,
        "created_at": entry.created_at,
        "withdrawn": withdrawn,
    }
    return Status(201, body)


def _remove(request: HttpRequest, wall: Wall | None, account: str) -> Status:
    if not never_show.remove(account, wall=wall, actor=request.auth):
        raise ApiError(404, "This account is not on that list.")
    return Status(204, None)


@router.get("/never-show/", response=NeverShowPage, summary="Never-show list (every wall)")
def list_global(
    request: HttpRequest,
    limit: int | None = _LIMIT,  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> Any:
    """Accounts no wall shows (full access only: it reaches every wall)."""
    site_wide(request, "view")
    return _page(request, None, limit, cursor)


@router.post("/never-show/", response={201: NeverShowResult}, summary="Never show an account")
def add_global(request: HttpRequest, payload: NeverShowIn) -> Status:
    """Never show ``account`` on any wall; its posts already on walls go at once."""
    site_wide(request, "moderate")
    return _add(request, None, payload)


@router.delete("/never-show/", response={204: None}, summary="Show an account again")
def remove_global(request: HttpRequest, account: str = _ACCOUNT) -> Status:  # type: ignore[assignment]
    """Take ``?account=`` off the global list (404 when it is not there)."""
    site_wide(request, "moderate")
    return _remove(request, None, account)


@router.get("/walls/{slug}/never-show/", response=NeverShowPage, summary="A wall's never-show")
def list_wall(
    request: HttpRequest,
    slug: str,
    limit: int | None = _LIMIT,  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> Any:
    """Accounts this wall never shows (besides the global list)."""
    return _page(request, wall_for(request, slug, "view"), limit, cursor)


@router.post(
    "/walls/{slug}/never-show/", response={201: NeverShowResult}, summary="Never show here"
)
def add_wall(request: HttpRequest, slug: str, payload: NeverShowIn) -> Status:
    """Never show ``account`` on this wall; its posts already there go at once."""
    return _add(request, wall_for(request, slug, "moderate"), payload)


@router.delete("/walls/{slug}/never-show/", response={204: None}, summary="Show here again")
def remove_wall(request: HttpRequest, slug: str, account: str = _ACCOUNT) -> Status:  # type: ignore[assignment]
    """Take ``?account=`` off this wall's list (404 when it is not there)."""
    return _remove(request, wall_for(request, slug, "moderate"), account)
