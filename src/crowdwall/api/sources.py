"""A wall's sources (its organisers only): list, add, change, remove.

Validated by ``Source.clean`` (each kind's config rules in ``crowdwall.sources.kinds``); a
source's ``secret`` (webhook HMAC key, Mastodon token) is write-only: answers only say whether
one is set. Every change is written to the audit log as ``configure``.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Path, Query, Router, Status

from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import MAX_ID, SourceIn, SourceOut, SourcePage, SourcePatch
from crowdwall.caching import purge_walls
from crowdwall.models import ModerationAction, Source, Wall
from crowdwall.models.walls import NAME_TAKEN
from crowdwall.moderation import service

router = Router(tags=["sources"], auth=STAFF)

_SOURCE_ID = Path(..., ge=1, le=MAX_ID)


def _out(request: HttpRequest, source: Source) -> dict[str, Any]:
    webhook_url = None
    if source.kind == "webhook":
        try:
            webhook_url = request.build_absolute_uri(
                reverse("crowdwall:crowdwall-webhook", args=[source.pk])
            )
        except NoReverseMatch:  # crowdwall.urls mounted without its namespace
            webhook_url = None
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "config": source.config,
        "include_all": source.include_all,
        "scope": source.scope,
        "enabled": source.enabled,
        "has_secret": bool(source.secret),
        "last_ingest_at": source.last_ingest_at,
        "last_error": source.last_error,
        "created_at": source.created_at,
        "webhook_url": webhook_url,
    }


def _source(wall: Wall, source_id: int) -> Source:
    source = Source.objects.filter(wall=wall, pk=source_id).first()
    if source is None:
        raise ApiError(404, "No such source on this wall.")
    return source


def _save(request: HttpRequest, source: Source, detail: dict[str, Any]) -> None:
    source.full_clean(exclude=["wall"], validate_unique=False)
    if source.name_taken():
        raise ApiError(422, "The request is not valid.", fields=_NAME_TAKEN)
    try:
        with transaction.atomic():
            source.save()
            service.record(
                request.auth, ModerationAction.CONFIGURE, wall=source.wall, detail=detail
            )
    except IntegrityError:
        if not source.name_taken():  # not the race this answer is for: let it be seen
            raise
        raise ApiError(422, "The request is not valid.", fields=_NAME_TAKEN) from None


_NAME_TAKEN = {"name": [NAME_TAKEN]}


@router.get("/{slug}/sources/", response=SourcePage, summary="A wall's sources")
def list_sources(
    request: HttpRequest,
    slug: str,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The wall's sources, newest first (secrets never included)."""
    page = paginate(
        request,
        Source.objects.filter(wall=wall_for(request, slug, "organise")),
        fields=["id"],
        types=[int],
        key=lambda s: (s.pk,),
        limit=limit,
        cursor=cursor,
    )
    page["objects"] = [_out(request, s) for s in page["objects"]]
    return page


@router.post("/{slug}/sources/", response={201: SourceOut}, summary="Add a source")
def create_source(request: HttpRequest, slug: str, payload: SourceIn) -> Status:
    """Add a source to the wall; 422 with ``fields`` when its config is not valid."""
    data = payload.model_dump(exclude_none=True)
    source = Source(wall=wall_for(request, slug, "organise"), **data)
    _save(request, source, {"source": source.name, "created": True})
    return Status(201, _out(request, source))


@router.get("/{slug}/sources/{source_id}/", response=SourceOut, summary="One source")
def get_source(request: HttpRequest, slug: str, source_id: int = _SOURCE_ID) -> dict[str, Any]:
    """One source of the wall (its secret never included)."""
    return _out(request, _source(wall_for(request, slug, "organise"), source_id))


@router.patch("/{slug}/sources/{source_id}/", response=SourceOut, summary="Change a source")
def update_source(
    request: HttpRequest, slug: str, payload: SourcePatch, source_id: int = _SOURCE_ID
) -> dict[str, Any]:
    """Change a source; the stream picks the change up when it restarts."""
    source = _source(wall_for(request, slug, "organise"), source_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = {name: ["May not be null."] for name, value in changes.items() if value is None}
    if nulls:
        raise ApiError(422, "The request is not valid.", fields=nulls)
    for name, value in changes.items():
        setattr(source, name, value)
    # Field names only: the audit log must not hold a secret either.
    _save(request, source, {"source": source.name, "changed": sorted(changes)})
    return _out(request, source)


@router.delete("/{slug}/sources/{source_id}/", response={204: None}, summary="Remove a source")
def delete_source(request: HttpRequest, slug: str, source_id: int = _SOURCE_ID) -> Status:
    """Remove a source and the posts it brought (they leave every wall)."""
    source = _source(wall_for(request, slug, "organise"), source_id)
    wall, name = source.wall, source.name
    # Its posts leave every wall they were on: those walls' cached pages go too.
    slugs = {
        wall.slug,
        *Wall.objects.filter(entries__post__source=source).values_list("slug", flat=True),
    }
    with transaction.atomic():
        source.delete()
        service.record(
            request.auth,
            ModerationAction.CONFIGURE,
            wall=wall,
            detail={"source": name, "deleted": True},
        )
    purge_walls(slugs)
    return Status(204, None)
