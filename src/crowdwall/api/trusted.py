"""A wall's trusted accounts: its viewers list them, its organisers add and remove them.

Changes go through ``crowdwall.moderation.trusted`` (audited; ingest picks them up with its
next batch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import Meta, Strict
from crowdwall.models import TrustedAccount
from crowdwall.moderation import trusted

router = Router(tags=["trusted accounts"], auth=STAFF)


class TrustedIn(Strict):
    """An account (stable id such as an actor URI or a DID, or ``@handle``) and why."""

    account: str = Field(min_length=1, max_length=255)
    note: str = Field("", max_length=200)


class TrustedOut(Schema):
    account: str
    note: str
    created_at: datetime


class TrustedPage(Schema):
    meta: Meta
    objects: list[TrustedOut]


@router.get("/{slug}/trusted/", response=TrustedPage, summary="A wall's trusted accounts")
def list_trusted(
    request: HttpRequest,
    slug: str,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> Any:
    """Accounts whose posts and boosts skip this wall's queue, newest first."""
    return paginate(
        request,
        TrustedAccount.objects.filter(wall=wall_for(request, slug, "view")).order_by("-id"),
        fields=["id"],
        types=[int],
        key=lambda entry: (entry.pk,),
        limit=limit,
        cursor=cursor,
    )


@router.post("/{slug}/trusted/", response={201: TrustedOut}, summary="Trust an account")
def add_trusted(request: HttpRequest, slug: str, payload: TrustedIn) -> Status:
    """Trust ``account`` on this wall (trusting it again changes nothing)."""
    wall = wall_for(request, slug, "organise")
    entry = trusted.trust(wall, payload.account, note=payload.note, actor=request.auth)
    return Status(
        201, {"account": entry.account, "note": entry.note, "created_at": entry.created_at}
    )


@router.delete("/{slug}/trusted/", response={204: None}, summary="Stop trusting an account")
def remove_trusted(
    request: HttpRequest,
    slug: str,
    account: str = Query(..., min_length=1, max_length=255),  # type: ignore[assignment]
) -> Status:
    """Stop trusting ``?account=`` on this wall (404 when it is not trusted there)."""
    if not trusted.distrust(wall_for(request, slug, "organise"), account, actor=request.auth):
        raise ApiError(404, "This account is not trusted on this wall.")
    return Status(204, None)
