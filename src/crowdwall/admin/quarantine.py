"""Admin for quarantined posts: read-only, replayed after a fix or deleted (discarded)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from crowdwall.models import QuarantinedPost


@admin.action(description="Replay (store again through the pipeline)")
def replay_quarantined(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[QuarantinedPost]
) -> None:
    from crowdwall.ingest.quarantine import replay

    stored, failing = replay(list(queryset))
    level = messages.WARNING if failing else messages.SUCCESS
    modeladmin.message_user(
        request, f"{stored} stored, {failing} still failing (with their new reason).", level
    )


@admin.register(QuarantinedPost)
class QuarantinedPostAdmin(admin.ModelAdmin):
    """What failed to store and why; replayed after a fix, or deleted (discarded)."""

    list_display = ["created_at", "external_id", "source", "wall", "attempts", "short_reason"]
    list_filter = ["source__wall", "source"]
    search_fields = ["external_id", "reason", "payload"]
    date_hierarchy = "created_at"
    list_select_related = ["source__wall"]
    readonly_fields = [f.name for f in QuarantinedPost._meta.fields]
    actions = [replay_quarantined]

    @admin.display(description="wall")
    def wall(self, obj: QuarantinedPost) -> str:
        return obj.source.wall.slug

    @admin.display(description="reason")
    def short_reason(self, obj: QuarantinedPost) -> str:
        return obj.reason[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
