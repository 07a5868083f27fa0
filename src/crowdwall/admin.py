"""Django admin for walls, sources, posts, moderation, bans, the never-show list, quarantined
posts, and each wall's roles and trusted accounts (inlines on the wall).

List fields (hashtags, keywords, accounts, languages) are edited one entry per line. Moderation
happens on "posts on walls" through actions only, so every change goes through
``crowdwall.moderation.actions`` (one event per post, cache purge) rather than a bare save.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from crowdwall.caching import purge_walls
from crowdwall.models import (
    BannedAuthor,
    BannedWord,
    ModerationLog,
    ModerationState,
    NeverShow,
    Post,
    PostWall,
    QuarantinedPost,
    Slide,
    Source,
    TrustedAccount,
    Wall,
    WallRole,
)
from crowdwall.models.walls import RULE_FIELDS
from crowdwall.moderation import never_show
from crowdwall.moderation.actions import reapply_bans, set_pinned, set_state
from crowdwall.moderation.trust_backlog import approve_waiting


class LinesField(forms.CharField):
    """A list of strings edited as lines (commas also separate, unless ``keep_commas``)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, keep_commas: bool = False, **kwargs: Any) -> None:
        self.keep_commas = keep_commas
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        if not self.keep_commas:
            text = text.replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]


class WallForm(forms.ModelForm):
    hashtags = LinesField(help_text=Wall._meta.get_field("hashtags").help_text)
    keywords = LinesField(keep_commas=True, help_text=Wall._meta.get_field("keywords").help_text)
    accounts = LinesField(help_text=Wall._meta.get_field("accounts").help_text)
    languages = LinesField(help_text=Wall._meta.get_field("languages").help_text)

    class Meta:
        model = Wall
        fields = RULE_FIELDS


class SourceForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhook secret or API token. Leave empty to keep the current one.",
    )

    class Meta:
        model = Source
        fields = [
            "wall",
            "name",
            "kind",
            "config",
            "secret",
            "include_all",
            "scope",
            "enabled",
            "cursor",
        ]

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")


class SourceInline(admin.TabularInline):
    model = Source
    form = SourceForm
    fields = ["name", "kind", "config", "include_all", "scope", "enabled"]
    extra = 0
    show_change_link = True


class BannedAuthorInline(admin.TabularInline):
    model = BannedAuthor
    fields = ["account", "note"]
    extra = 0


class BannedWordInline(admin.TabularInline):
    model = BannedWord
    fields = ["word"]
    extra = 0


class WallRoleInline(admin.TabularInline):
    model = WallRole
    fields = ["user", "group", "role"]
    extra = 0


class TrustedAccountInline(admin.TabularInline):
    model = TrustedAccount
    fields = ["account", "note"]
    extra = 0


class SlideInline(admin.TabularInline):
    model = Slide
    fields = ["position", "title", "text", "image_url", "image_alt", "is_active"]
    extra = 0


@admin.register(Wall)
class WallAdmin(admin.ModelAdmin):
    form = WallForm
    list_display = ["name", "slug", "is_active", "moderation", "use_default_blocklist"]
    list_filter = ["is_active", "moderation"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    inlines = [
        SourceInline,
        BannedAuthorInline,
        BannedWordInline,
        TrustedAccountInline,
        WallRoleInline,
        SlideInline,
    ]
    # The form's fields, plus the big screen's in a section of their own (docs/live-pages.md).
    fieldsets = [
        (None, {"fields": WallForm.Meta.fields}),
        (
            "Big screen and overlay",
            {
                "fields": [
                    "screen_layout",
                    "screen_theme",
                    "brand_color",
                    "logo_url",
                    "info_text",
                    "qr_url",
                    "slide_every",
                    "overlay_position",
                    "overlay_size",
                    "overlay_background",
                    "custom_css",
                ]
            },
        ),
    ]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        rejected = reapply_bans([form.instance])  # bans added in the inlines apply to old posts
        if rejected:
            messages.info(request, f"{rejected} post(s) rejected by the wall's bans.")
        # Accounts trusted in the inline: their posts already waiting are approved, as via the API.
        trusted = [
            entry.account
            for formset in formsets
            if formset.model is TrustedAccount
            for entry in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]
        ]
        approved = approve_waiting(form.instance, trusted, actor=request.user) if trusted else 0
        if approved:
            messages.info(request, f"{approved} waiting post(s) approved: trusted account.")
        purge_walls([form.instance.slug], wall_list=True)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = [
        "name",
        "wall",
        "kind",
        "enabled",
        "include_all",
        "scope",
        "last_ingest_at",
        "last_error",
    ]
    list_filter = ["kind", "enabled", "scope", "wall"]
    search_fields = ["name"]
    readonly_fields = ["last_ingest_at", "last_error", "created_at"]


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


# Posts that failed to store: read-only, replayed or discarded (crowdwall.ingest.quarantine) --


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


from crowdwall.schedule import admin as _schedule_admin  # noqa: E402, F401  (registers Schedule)
