"""Admin for bans, the never-show list and the moderation audit log (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from crowdwall.models import BannedAuthor, BannedWord, ModerationLog, NeverShow
from crowdwall.moderation import never_show
from crowdwall.moderation.actions import reapply_bans


class _BanAdmin(admin.ModelAdmin):
    list_filter = ["wall"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Only this ban is checked: what the wall's other bans cover is off it already.
        new = {"authors": [obj.account]} if isinstance(obj, BannedAuthor) else {"words": [obj.word]}
        rejected = reapply_bans([obj.wall], **new)
        if rejected:
            messages.info(request, f"{rejected} post(s) rejected by the new ban.")


@admin.register(BannedAuthor)
class BannedAuthorAdmin(_BanAdmin):
    list_display = ["account", "wall", "note", "created_at"]
    search_fields = ["account", "note"]


@admin.register(BannedWord)
class BannedWordAdmin(_BanAdmin):
    list_display = ["word", "wall", "created_at"]
    search_fields = ["word"]


@admin.register(NeverShow)
class NeverShowAdmin(admin.ModelAdmin):
    """Accounts that asked not to be shown; saving one takes their posts off at once
    (``crowdwall.moderation.never_show``, audited like the API and the command)."""

    list_display = ["account", "wall", "note", "created_at"]
    list_filter = [("wall", admin.EmptyFieldListFilter), "wall"]
    search_fields = ["account", "note"]
    fields = ["account", "wall", "note"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:  # edited (account, scope): saved as is, then applied to old posts as new
            super().save_model(request, obj, form, change)
        _, withdrawn = never_show.add(obj.account, wall=obj.wall, note=obj.note, actor=request.user)
        if withdrawn:
            messages.info(request, f"{withdrawn} post(s) taken off the walls.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        never_show.remove(obj.account, wall=obj.wall, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for entry in queryset:
            never_show.remove(entry.account, wall=entry.wall, actor=request.user)


# The moderation audit log: read-only (crowdwall.moderation.service writes it) ---------------


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    """Who did what; nobody edits or deletes history from the admin."""

    list_display = ["created_at", "actor_name", "action", "wall", "post_id", "count"]
    list_filter = ["action", "wall"]
    search_fields = ["actor_name"]
    date_hierarchy = "created_at"
    list_select_related = ["wall"]
    readonly_fields = ["actor", "actor_name", "wall", "post", "action", "detail", "count"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
