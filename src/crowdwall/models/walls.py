"""Walls (what to show) and their sources (where posts come from)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from crowdwall.ingest.match import (
    normalize_account,
    normalize_hashtag,
    normalize_language,
    parse_keyword,
)
from crowdwall.models.locking import LockingDelete
from crowdwall.models.screens import (
    OverlayBackground,
    OverlayPosition,
    OverlaySize,
    ScreenLayout,
    ScreenTheme,
    validate_brand_color,
)
from crowdwall.rule_limits import list_errors
from crowdwall.sources.kinds import KINDS, get_kind
from crowdwall.states import ModerationMode, SourceScope

# Slugs a wall may not take: /walls/console/ is the console, not a wall (crowdwall.urls).
RESERVED_SLUGS = frozenset({"console"})
NAME_TAKEN = "This wall already has a source with this name."


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: "Expected a list of strings."})
    return value


class Wall(LockingDelete):
    """A wall: which posts it shows (tags, keywords, accounts, languages, filters) and how they
    are moderated. List fields are stored normalised (see ``crowdwall.ingest.match``)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    hashtags = models.JSONField(default=list, blank=True, help_text="Without '#'; any case.")
    keywords = models.JSONField(
        default=list,
        blank=True,
        help_text='word · prefix* · "exact phrase" · all these words · =CaseSensitive',
    )
    accounts = models.JSONField(
        default=list, blank=True, help_text="Stable account ids (or @handle, less stable)."
    )
    languages = models.JSONField(
        default=list, blank=True, help_text="ISO 639 codes such as en, de; empty: any language."
    )
    moderation = models.CharField(
        max_length=20, choices=ModerationMode.choices, default=ModerationMode.OPEN
    )
    use_default_blocklist = models.BooleanField(
        default=True, help_text="Hold posts with words from the default blocklist for review."
    )
    hide_replies = models.BooleanField(default=False)
    hide_boosts = models.BooleanField(default=False)
    hide_bots = models.BooleanField(default=False)
    hide_sensitive = models.BooleanField(default=False)
    followed_accounts_opt_in = models.BooleanField(
        default=False,
        help_text=(
            "Show the wall's own accounts even when they opted out of discovery (Mastodon "
            "noindex / not discoverable / not indexable, Bluesky !no-unauthenticated): listing "
            "them is a deliberate choice. Off: their opt-out is respected here too."
        ),
    )
    # The big screen: theme, an info line, a QR code target, and the wall's own CSS (staff-
    # written, served as a stylesheet, never inlined into other pages).
    screen_theme = models.CharField(
        max_length=10, choices=ScreenTheme.choices, default=ScreenTheme.DARK
    )
    info_text = models.CharField(
        max_length=300, blank=True, help_text="Shown on the big screen's banner (plain text)."
    )
    qr_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="QR code target on the big screen; default: the wall page.",
    )
    custom_css = models.TextField(blank=True, help_text="Extra CSS for this wall's pages.")
    # Layout, brand, slides and overlay of the big screen (crowdwall.models.screens).
    screen_layout = models.CharField(
        max_length=10, choices=ScreenLayout.choices, default=ScreenLayout.COLUMNS
    )
    brand_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_brand_color],
        help_text="#rrggbb: accents (and the background of the brand theme).",
    )
    logo_url = models.URLField(max_length=500, blank=True, help_text="Shown on the banner.")
    slide_every = models.PositiveSmallIntegerField(
        default=0, help_text="Show the next slide after this many posts; 0: no slides."
    )
    overlay_position = models.CharField(
        max_length=12, choices=OverlayPosition.choices, default=OverlayPosition.BOTTOM_LEFT
    )
    overlay_size = models.CharField(
        max_length=1, choices=OverlaySize.choices, default=OverlaySize.MEDIUM
    )
    overlay_background = models.CharField(
        max_length=12, choices=OverlayBackground.choices, default=OverlayBackground.TRANSPARENT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def lock_also_for_delete(keys: list[int], using: str) -> list[models.QuerySet[Any]]:
        """Deleting walls deletes their sources too: lock those as well (after the walls)."""
        return [Source.objects.using(using).filter(wall_id__in=keys)]

    def clean(self) -> None:
        super().clean()
        # Bounds first, on the lists as given: normalising a million entries is the cost the
        # bounds exist to avoid.
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"{self.slug!r} is taken by a page of its own."})
        bounds = {
            field: list_errors(field, _string_list(getattr(self, field), field))
            for field in ("hashtags", "keywords", "accounts", "languages")
        }
        bounds = {field: errors for field, errors in bounds.items() if errors}
        if bounds:
            raise ValidationError(bounds)
        errors: dict[str, list[str]] = {}
        tags = [normalize_hashtag(t) for t in _string_list(self.hashtags, "hashtags")]
        if any(" " in t for t in tags):
            errors.setdefault("hashtags", []).append("A hashtag cannot contain spaces.")
        self.hashtags = _unique(tags)
        keywords = _unique([k.strip() for k in _string_list(self.keywords, "keywords")])
        for keyword in keywords:
            try:
                parse_keyword(keyword)
            except ValueError as exc:
                errors.setdefault("keywords", []).append(str(exc))
        self.keywords = keywords
        self.accounts = _unique(
            [normalize_account(a) for a in _string_list(self.accounts, "accounts")]
        )
        languages = _string_list(self.languages, "languages")
        bad = [code for code in languages if not normalize_language(code)]
        if bad:
            errors.setdefault("languages", []).append(f"Not language codes: {', '.join(bad)}.")
        self.languages = _unique([normalize_language(code) for code in languages])
        if errors:
            raise ValidationError(errors)


class Source(LockingDelete):
    """Where a wall's posts come from: one adapter (``kind``) with its validated ``config``.

    ``cursor`` is the adapter's resume position, written in the same transaction as the posts
    it covers, so a restarted stream neither skips nor repeats. ``include_all``: every post of
    this source belongs to its wall even when it matches none of the wall's rules (a feed or a
    webhook dedicated to the event). ``scope``: whether its posts are matched against its own
    wall only or against every active wall (each kind's default and allowed values are in
    ``crowdwall.sources.kinds``; a webhook's is always its own wall).
    """

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=[(k.name, k.label) for k in KINDS.values()])
    config = models.JSONField(default=dict, blank=True)
    secret = models.CharField(
        max_length=255, blank=True, help_text="Webhook HMAC secret, or the API token (Mastodon)."
    )
    include_all = models.BooleanField(
        default=False, help_text="Every post of this source belongs to the wall, matched or not."
    )
    scope = models.CharField(
        max_length=10,
        choices=SourceScope.choices,
        blank=True,
        help_text=(
            "Which walls its posts may reach. Empty: the kind's default (own wall for webhook, "
            "RSS and replay sources; any matching wall for Mastodon and Bluesky). A webhook "
            "always feeds its own wall only."
        ),
    )
    enabled = models.BooleanField(default=True)
    cursor = models.TextField(blank=True, default="")
    last_ingest_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["wall", "name"]
        constraints = [
            models.UniqueConstraint(fields=["wall", "name"], name="crowdwall_source_name_per_wall")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, giving a source without a scope its kind's default (never "any" by omission)."""
        if not self.scope:
            self.scope = _default_scope(self.kind)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "scope"}
        super().save(*args, **kwargs)

    def name_taken(self) -> bool:
        """Whether another source of the wall has this source's name (``NAME_TAKEN``)."""
        others = Source.objects.filter(wall_id=self.wall_id, name=self.name)
        return others.exclude(pk=self.pk).exists() if self.pk else others.exists()

    def clean(self) -> None:
        super().clean()
        try:
            kind = get_kind(self.kind)
        except ValueError as exc:
            raise ValidationError({"kind": str(exc)}) from exc
        try:
            self.config = kind.validate(self.config if self.config is not None else {})
        except ValueError as exc:
            raise ValidationError({"config": str(exc)}) from exc
        if kind.needs_secret and not self.secret:
            raise ValidationError({"secret": f"A {kind.label} source needs a secret."})
        if not self.scope:
            self.scope = kind.default_scope
        elif self.scope in SourceScope.values and self.scope not in kind.scopes:
            raise ValidationError(
                {"scope": f"A {kind.label} source feeds its own wall only (scope 'own')."}
            )


def _default_scope(kind: str) -> str:
    try:
        return get_kind(kind).default_scope
    except ValueError:  # an unknown kind cannot run; keep its posts on its wall all the same
        return SourceScope.OWN


# A wall's own settings and matching rules, in form order (the admin and the console edit them).
RULE_FIELDS = [
    "name",
    "slug",
    "is_active",
    "hashtags",
    "keywords",
    "accounts",
    "languages",
    "moderation",
    "use_default_blocklist",
    "hide_replies",
    "hide_boosts",
    "hide_bots",
    "hide_sensitive",
    "followed_accounts_opt_in",
]
# A wall's big screen and overlay settings, in form order (the admin and the console edit them).
SCREEN_FIELDS = [
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
