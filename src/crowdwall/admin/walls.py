"""Admin for walls (with their sources, bans, roles, trusted accounts and slides inline) and
sources. Saving trusted accounts approves their waiting posts (``moderation.trust_backlog``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from crowdwall.admin.fields import LinesField
from crowdwall.caching import purge_walls
from crowdwall.models import (
    BannedAuthor,
    BannedWord,
    Slide,
    Source,
    TrustedAccount,
    Wall,
    WallRole,
)
from crowdwall.models.walls import RULE_FIELDS, SCREEN_FIELDS
from crowdwall.moderation.actions import reapply_bans
from crowdwall.moderation.trust_backlog import approve_waiting


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
            {"fields": SCREEN_FIELDS},
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
