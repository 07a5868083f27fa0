"""The console's forms: thin layers over the models' own validation (``Wall.clean``,
``Source.clean`` with each kind's config rules, ``Slide.clean``, the ban models) — the same
rules the API and the admin apply, so no rule is written twice.

List settings (hashtags, keywords, accounts, languages, bans) are edited one per line. A
source's secret is write-only: the field is never filled in, leaving it empty keeps the secret.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from crowdwall import jsonlimits
from crowdwall.api.inputs import MESSAGE as NUL_MESSAGE
from crowdwall.api.inputs import holds_nul
from crowdwall.models import Slide, Source, Wall
from crowdwall.models.walls import NAME_TAKEN, RULE_FIELDS, SCREEN_FIELDS
from crowdwall.sources.kinds import KINDS

# The config keys a source form shows as their own fields (the rest: "other settings").
LIST_KEYS = ("hashtags", "keywords", "accounts")
# Which of them each kind reads (crowdwall.sources.kinds); the others have no such key.
KIND_LISTS = {"mastodon": ("hashtags", "accounts"), "bluesky": LIST_KEYS}


def kinds_using(field: str) -> list[str]:
    """The kinds a source form field applies to (the page hides it for the others)."""
    if field == "url":
        return [k.name for k in KINDS.values() if k.url_key]
    if field == "secret":
        return [k.name for k in KINDS.values() if k.needs_secret] + ["mastodon"]
    return [kind for kind, keys in KIND_LISTS.items() if field in keys]


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Model fields as form fields; URLs without a scheme read as https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class LinesField(forms.CharField):
    """A list of strings edited as a textarea, one entry per line (blank lines ignored)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, strip=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return [str(v) for v in value]
        text = super().to_python(value) or ""
        # Checked on the text: the list's validators would read its repr, where NUL is escaped.
        if holds_nul(text):
            raise ValidationError(NUL_MESSAGE)
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class WallForm(forms.ModelForm):
    """A wall's settings; ``Wall.clean`` checks and normalises the rules."""

    hashtags = LinesField(help_text="One per line, without '#'; any case.")
    keywords = LinesField(
        help_text='One per line: word · prefix* · "exact phrase" · all these words · =CaseSensitive'
    )
    accounts = LinesField(help_text="One per line: a stable account id, or @handle.")
    languages = LinesField(help_text="One per line, ISO 639 codes such as en, de; none: any.")
    banned_words = LinesField(
        help_text="One per line, keyword syntax; posts with them never appear. Removing a line "
        "lifts the ban.",
    )
    banned_authors = LinesField(help_text="One per line: a stable account id, or @handle.")
    trusted_accounts = LinesField(
        help_text="One per line: a stable account id, or @handle. Their posts, and posts they "
        "boost, skip the pre-approval queue; their posts already waiting are approved when "
        "you add them. Bans and the blocklist still apply."
    )

    class Meta:
        model = Wall
        formfield_callback = staticmethod(_formfield)
        fields = [*RULE_FIELDS, *SCREEN_FIELDS]
        labels = {
            "is_active": "Active (ingests and shows posts)",
            "brand_color": "Brand colour",
            "logo_url": "Logo URL",
            "qr_url": "QR code URL",
            "custom_css": "Custom CSS",
            "followed_accounts_opt_in": "Show the wall's own accounts even if they opted out",
        }
        widgets = {
            "brand_color": forms.TextInput(attrs={"placeholder": "#0b6e4f", "size": 8}),
            "custom_css": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["banned_words"] = list(
                self.instance.banned_words.order_by("word").values_list("word", flat=True)
            )
            self.initial["banned_authors"] = list(
                self.instance.banned_authors.order_by("account").values_list("account", flat=True)
            )
            self.initial["trusted_accounts"] = list(
                self.instance.trusted_accounts.order_by("account").values_list("account", flat=True)
            )


class SlideForm(forms.ModelForm):
    """One slide; the blank form for a new one is ignored unless something is typed in it."""

    class Meta:
        model = Slide
        formfield_callback = staticmethod(_formfield)
        labels = {"image_url": "Image URL", "image_alt": "Image description (alt)"}
        fields = ["title", "text", "image_url", "image_alt", "is_active"]

    def has_changed(self) -> bool:
        if self.instance.pk is None:
            content = ("title", "text", "image_url", "image_alt")
            return any((self[name].value() or "").strip() for name in content)
        return super().has_changed()


SlideFormSet = forms.inlineformset_factory(
    Wall,
    Slide,
    form=SlideForm,
    extra=1,
    can_delete=True,
)


class SourceForm(forms.ModelForm):
    """A source: its kind's URL and lists as fields, other config keys as JSON, and a
    write-only secret; ``Source.clean`` validates the assembled config."""

    url = forms.CharField(
        required=False,
        max_length=500,
        label="URL",
        help_text="Mastodon: the instance (https://mastodon.social) · Bluesky: the Jetstream "
        "endpoint (empty: the public one) · RSS: the feed.",
    )
    hashtags = LinesField(help_text="Mastodon, Bluesky: one per line; empty: the wall's.")
    keywords = LinesField(help_text="Bluesky: one per line, as the wall's keywords.")
    accounts = LinesField(
        help_text="Mastodon: ids or @handles · Bluesky: DIDs (did:plc:...); one per line."
    )
    config = forms.CharField(
        required=False,
        label="Other settings (JSON)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Any other config key, e.g. {"poll_interval": 60}.',
    )
    secret = forms.CharField(
        required=False,
        max_length=255,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Webhook: the HMAC secret · Mastodon: an API token (optional). Never shown; "
        "leave empty to keep the current one.",
    )
    clear_secret = forms.BooleanField(required=False, label="Remove the secret")

    class Meta:
        model = Source
        fields = ["name", "kind", "url", "hashtags", "keywords", "accounts", "config"]
        fields += ["secret", "include_all", "scope", "enabled"]

    def __init__(self, *args: Any, wall: Wall, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.wall = wall
        self.had_secret = bool(self.instance.secret)
        self.fields["kind"].choices = [(k.name, k.label) for k in KINDS.values()]
        scope = self.fields["scope"]
        scope.choices = [("", "The kind's default"), *list(scope.choices)[1:]]  # type: ignore[attr-defined]
        config = dict(self.instance.config or {})
        if self.instance.pk is not None:
            url_key = KINDS[self.instance.kind].url_key if self.instance.kind in KINDS else None
            if url_key:
                self.initial["url"] = config.pop(url_key, "")
            for key in LIST_KEYS:
                self.initial[key] = config.pop(key, [])
        self.initial["config"] = json.dumps(config) if config else ""
        self.initial["secret"] = ""  # write-only: never rendered back

    def clean_config(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("config") or "").strip()
        if not text:
            return {}
        try:  # bounded: deep nesting and 5,000-digit numbers are refused, not a 500
            value = jsonlimits.loads(text)
        except jsonlimits.BadJson as exc:
            raise ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ValidationError('A JSON object, such as {"poll_interval": 60}.')
        if holds_nul(value):  # "\u0000" decodes to what PostgreSQL cannot store
            raise ValidationError(NUL_MESSAGE)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = KINDS.get(cleaned.get("kind") or "")
        if kind is None:
            return cleaned
        config = dict(cleaned.get("config") or {})
        url = (cleaned.get("url") or "").strip()
        if url and kind.url_key is None:
            self.add_error("url", f"A {kind.label} source has no URL.")
        elif kind.url_key:
            config.pop(kind.url_key, None)
            if url:
                config[kind.url_key] = url
        for key in LIST_KEYS:
            values = cleaned.get(key) or []
            if values and key not in KIND_LISTS.get(kind.name, ()):
                self.add_error(key, f"A {kind.label} source has no {key}.")
            elif values or key in config:
                config[key] = values or config[key]
        cleaned["config"] = config
        secret = cleaned.get("secret") or ""
        if cleaned.get("clear_secret"):
            cleaned["secret"] = ""
        elif not secret:
            cleaned["secret"] = self.instance.secret  # empty: keep what is set
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()
        # The one rule the model's clean leaves to the database: a name per wall.
        if "name" in self.cleaned_data and self.instance.name_taken():
            self.add_error("name", NAME_TAKEN)
