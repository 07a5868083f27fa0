"""Walls: the public list and detail with figures, and staff create/update."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from crowdwall import aggregates
from crowdwall.api.auth import STAFF, staff_of
from crowdwall.api.caching import cache_wall_list, cache_wall_response, purge_now
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import public_wall, site_wide, wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate, single_page
from crowdwall.api.schemas import (
    CountOut,
    PostPage,
    TopAuthorPage,
    WallDetail,
    WallIn,
    WallPage,
    WallPatch,
)
from crowdwall.caching import WALL_LIST_TAG, wall_tag
from crowdwall.live.frames import author_payload, post_payload
from crowdwall.models import ModerationAction, Slide, Wall
from crowdwall.moderation import service
from crowdwall.moderation.access import visible_walls

router = Router(tags=["walls"])

MAX_TOP = 100


def _detail(wall: Wall) -> dict[str, Any]:
    computed = ("post_count", "slides")
    data = {name: getattr(wall, name) for name in WallDetail.model_fields if name not in computed}
    data["post_count"] = aggregates.post_count(wall)
    data["slides"] = list(wall.slides.all())
    return data


def _slides(wall: Wall, slides: list[dict[str, Any]] | None) -> list[Slide] | None:
    """The new slides of ``wall`` (validated like the admin's), or None to keep its own."""
    if slides is None:
        return None
    built = [Slide(wall=wall, position=n, **slide) for n, slide in enumerate(slides)]
    errors = {}
    for n, slide in enumerate(built):
        try:
            slide.full_clean(exclude=["wall"])
        except ValidationError as exc:
            errors[f"slides.{n}"] = [m for ms in exc.message_dict.values() for m in ms]
    if errors:
        raise ValidationError(errors)
    return built


def _save(wall: Wall, slides: list[Slide] | None) -> None:
    wall.save()
    if slides is not None:
        wall.slides.all().delete()
        Slide.objects.bulk_create(slides)


@router.get("/", response=WallPage, summary="Active walls")
@decorate_view(cache_wall_list("limit", "cursor"))
def list_walls(
    request: HttpRequest,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Active walls, newest first (those with a role also see their inactive ones)."""
    staff = staff_of(request)
    qs = Wall.objects.filter(is_active=True)
    if staff is not None:
        qs = qs | visible_walls(staff)
    return paginate(
        request,
        qs,
        fields=["id"],
        types=[int],
        key=lambda w: (w.pk,),
        limit=limit,
        cursor=cursor,
    )


@router.post("/", response={201: WallDetail}, auth=STAFF, summary="Create a wall")
def create_wall(request: HttpRequest, payload: WallIn) -> Status:
    """Create a wall (full access only); validated like the admin form, 422 with ``fields``."""
    site_wide(request, "organise")
    fields = payload.model_dump(exclude_none=True)
    slide_data = fields.pop("slides", None)
    wall = Wall(**fields)
    wall.full_clean()
    slides = _slides(wall, slide_data)
    with transaction.atomic():
        _save(wall, slides)
        service.record(
            request.auth, ModerationAction.CONFIGURE, wall=wall, detail={"created": wall.slug}
        )
    purge_now([WALL_LIST_TAG, wall_tag(wall.slug)])
    return Status(201, _detail(wall))


@router.get("/{slug}/", response=WallDetail, summary="One wall, with its post count")
@decorate_view(cache_wall_response())
def get_wall(request: HttpRequest, slug: str) -> dict[str, Any]:
    """A wall's settings and its number of approved posts."""
    return _detail(public_wall(slug, staff_of(request)))


@router.patch("/{slug}/", response=WallDetail, auth=STAFF, summary="Change a wall")
def update_wall(request: HttpRequest, slug: str, payload: WallPatch) -> dict[str, Any]:
    """Change some of a wall's settings (its organisers); 422 with ``fields`` when invalid."""
    wall = wall_for(request, slug, "organise")
    changes = payload.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        nulls = {name: ["May not be null."] for name, value in changes.items() if value is None}
        raise ApiError(422, "The request is not valid.", fields=nulls)
    slide_data = changes.pop("slides", None)
    for name, value in changes.items():
        setattr(wall, name, value)
    wall.full_clean()
    slides = _slides(wall, slide_data)
    with transaction.atomic():
        _save(wall, slides)
        service.record(
            request.auth,
            ModerationAction.CONFIGURE,
            wall=wall,
            detail={"changed": sorted([*changes, *(["slides"] if slides is not None else [])])},
        )
    purge_now([WALL_LIST_TAG, wall_tag(slug), wall_tag(wall.slug)])
    return _detail(wall)


@router.get("/{slug}/count/", response=CountOut, summary="Number of approved posts")
@decorate_view(cache_wall_response())
def count(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The wall's number of approved posts (= the post list's ``total_count``)."""
    wall = public_wall(slug, staff_of(request))
    return {"slug": wall.slug, "count": aggregates.post_count(wall)}


@router.get("/{slug}/top-authors/", response=TopAuthorPage, summary="Most active authors")
@decorate_view(cache_wall_response("n"))
def top_authors(
    request: HttpRequest,
    slug: str,
    n: int = Query(10, ge=1, le=MAX_TOP),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The ``n`` authors with the most approved posts on the wall."""
    wall = public_wall(slug, staff_of(request))
    rows = [
        {"author": author_payload(row.author), "posts": row.posts}
        for row in aggregates.top_authors(wall, n)
    ]
    return single_page(rows, n)


@router.get("/{slug}/top-posts/", response=PostPage, summary="Most boosted/favourited posts")
@decorate_view(cache_wall_response("n"))
def top_posts(
    request: HttpRequest,
    slug: str,
    n: int = Query(10, ge=1, le=MAX_TOP),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The ``n`` approved posts with the most boosts + favourites (at least one)."""
    wall = public_wall(slug, staff_of(request))
    posts = aggregates.top_posts(wall, n)
    pinned = set(
        wall.entries.filter(post__in=[p.pk for p in posts], pinned=True).values_list(
            "post_id", flat=True
        )
    )
    rows = [{**post_payload(p), "pinned": p.pk in pinned, "state": None} for p in posts]
    return single_page(rows, n)
