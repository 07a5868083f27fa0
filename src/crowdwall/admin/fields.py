"""Form fields the crowdwall admins share (the schedule admin too)."""

from __future__ import annotations

from typing import Any

from django import forms


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
