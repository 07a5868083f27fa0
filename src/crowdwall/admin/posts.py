"""Admin for posts (read-only: ingest writes them) and posts on walls, moderated through
actions only, so every change goes through ``crowdwall.moderation.actions``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crowdwall.models import ModerationState, Post, PostWall
from crowdwall.moderation.actions import set_pinned, set_state


class PostWallInline(admin.TabularInline):
    model = PostWall
    fields = ["wall", "state", "reason", "pinned", "moderated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "source", "created_at", "language", "deleted_at"]
    list_filter = ["source", "is_boost", "is_reply", "sensitive"]
    search_fields = ["text", "external_id", "author__handle"]
    list_select_related = ["author", "source"]
    inlines = [PostWallInline]
    # Posts are written by the ingest pipeline only (sanitized there); the admin shows them.
    readonly_fields = [f.name for f in Post._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Approve on this wall")
def approve(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PostWall]
) -> None:
    count = set_state(queryset, ModerationState.APPROVED)
    modeladmin.message_user(request, f"{count} post(s) approved.")


@admin.action(description="Reject on this wall")
def reject(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PostWall]
) -> None:
    count = set_state(queryset, ModerationState.REJECTED)
    modeladmin.message_user(request, f"{count} post(s) rejected.")


@admin.action(description="Send back to pending")
def make_pending(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PostWall]
) -> None:
    count = set_state(queryset, ModerationState.PENDING)
    modeladmin.message_user(request, f"{count} post(s) pending.")


@admin.action(description="Pin (approved posts)")
def pin(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PostWall]) -> None:
    count = set_pinned(queryset, True)
    modeladmin.message_user(request, f"{count} post(s) pinned.")


@admin.action(description="Unpin")
def unpin(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PostWall]) -> None:
    count = set_pinned(queryset, False)
    modeladmin.message_user(request, f"{count} post(s) unpinned.")


@admin.register(PostWall)
class PostWallAdmin(admin.ModelAdmin):
    """The moderation queue: filter by wall and state, act on a selection."""

    list_display = ["excerpt", "author", "wall", "state", "reason", "pinned", "created_at"]
    list_filter = ["state", "wall", "pinned"]
    list_select_related = ["post", "author", "wall"]
    search_fields = ["post__text", "author__handle"]
    actions = [approve, reject, make_pending, pin, unpin]
    readonly_fields = [
        "wall",
        "post",
        "author",
        "created_at",
        "state",
        "reason",
        "pinned",
        "moderated_at",
    ]
    ordering = ["-created_at"]

    @admin.display(description="post")
    def excerpt(self, obj: PostWall) -> str:
        text = obj.post.text
        return text if len(text) <= 80 else text[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
