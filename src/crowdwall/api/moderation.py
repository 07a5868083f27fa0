"""Moderation through the API: actions on posts, and the wall's audit log (moderators act, viewers read the log).

Every action goes through ``crowdwall.moderation.service``, so it is audited, pushed to open
pages and purges the wall's cached pages exactly as the moderation screen's actions do.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import wall_for
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import ChangedOut, LogPage, ModerationIn
from crowdwall.models import ModerationLog, PostWall
from crowdwall.moderation import service

router = Router(tags=["moderation"], auth=STAFF)


@router.post("/{slug}/moderation/", response=ChangedOut, summary="Moderate posts")
def moderate(request: HttpRequest, slug: str, payload: ModerationIn) -> dict[str, Any]:
    """Approve, reject, hide, pin or unpin posts; ``changed``: entries that changed. Ids of
    posts not on the wall are ignored (all of them: 422)."""
    wall = wall_for(request, slug, "moderate")
    # Only posts on this wall: the audit log row names its post by foreign key, so an id of
    # a post that does not exist must not reach it (the insert would fail at commit).
    present = sorted(
        set(
            PostWall.objects.filter(wall=wall, post_id__in=payload.posts).values_list(
                "post_id", flat=True
            )
        )
    )
    if not present:
        raise ApiError(
            422,
            "The request is not valid.",
            fields={"posts": ["None of these posts is on this wall."]},
        )
    return {"changed": service.moderate(wall, present, payload.action, actor=request.auth)}


@router.get("/{slug}/moderation-log/", response=LogPage, summary="The wall's audit log")
def moderation_log(
    request: HttpRequest,
    slug: str,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Who did what on this wall, newest first."""
    wall = wall_for(request, slug, "view")
    page = paginate(
        request,
        ModerationLog.objects.filter(wall=wall),
        fields=["id"],
        types=[int],
        key=lambda row: (row.pk,),
        limit=limit,
        cursor=cursor,
    )
    page["objects"] = [
        {
            "id": row.pk,
            "actor": row.actor_name or "system",
            "action": row.action,
            "post_id": row.post_id,
            "count": row.count,
            "detail": row.detail,
            "created_at": row.created_at,
        }
        for row in page["objects"]
    ]
    return page
