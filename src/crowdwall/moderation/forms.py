"""The moderation screen's forms: what a button, the bulk bar and the ban forms may send."""

from __future__ import annotations

from typing import Any

from django import forms

from crowdwall.moderation.service import MAX_BULK
from crowdwall.params import BadParameter, parse_id

# The buttons' ``data-action`` values; all but ``ban-author`` are ModerationAction values.
ACTIONS = ("approve", "reject", "hide", "pin", "unpin", "ban-author")


class ActionForm(forms.Form):
    """One post's button (``item=<post id>:<action>``, so one form can hold a button per post
    without JavaScript), or a bulk action (``action``, and ``post`` once per selected post)."""

    item = forms.CharField(required=False, max_length=60)
    action = forms.CharField(required=False, max_length=20)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.post_values: list[str] = data.getlist("post") if data is not None else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        item = cleaned.get("item") or ""
        if item:
            post, _, action = item.partition(":")
            values = [post]
        else:
            action, values = cleaned.get("action") or "", self.post_values
        if action not in ACTIONS:
            raise forms.ValidationError(f"Unknown action {action!r}: one of {', '.join(ACTIONS)}.")
        if not values:
            raise forms.ValidationError("Select at least one post.")
        if len(values) > MAX_BULK:
            raise forms.ValidationError(f"At most {MAX_BULK} posts at once.")
        try:
            posts = {parse_id(v) for v in values}
        except BadParameter:
            raise forms.ValidationError("Post ids are whole numbers.") from None
        cleaned["action"] = action
        cleaned["posts"] = sorted(posts)
        return cleaned


class BanWordForm(forms.Form):
    word = forms.CharField(
        max_length=200,
        label="Ban a word or phrase",
        help_text='word · prefix* · "exact phrase" · =CaseSensitive',
    )


class UnbanForm(forms.Form):
    author = forms.CharField(required=False, max_length=255)
    word = forms.CharField(required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("author")) == bool(cleaned.get("word")):
            raise forms.ValidationError("Name either an author or a word.")
        return cleaned
