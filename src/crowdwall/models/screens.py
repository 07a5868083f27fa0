"""The big screen's vocabulary (layouts, themes, overlay placement) and its slides: sponsor or
announcement cards a wall interleaves with its posts (``crowdwall.screen``, ``screen.js``)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

BRAND_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ScreenLayout(models.TextChoices):
    COLUMNS = "columns", "Columns: posts flow in columns, newest first"
    SPOTLIGHT = "spotlight", "Spotlight: one post at a time, large"
    MEDIA = "media", "Media grid: posts with photos and videos first"
    TICKER = "ticker", "Ticker: one crawling line for the bottom of a stage screen"


class ScreenTheme(models.TextChoices):
    DARK = "dark", "Dark"
    LIGHT = "light", "Light"
    CONTRAST = "contrast", "High contrast (black, white and yellow)"
    BRAND = "brand", "Brand: the wall's brand colour as the background"


class OverlayPosition(models.TextChoices):
    BOTTOM_LEFT = "bottom-left", "Bottom left"
    BOTTOM_RIGHT = "bottom-right", "Bottom right"
    TOP_LEFT = "top-left", "Top left"
    TOP_RIGHT = "top-right", "Top right"


class OverlaySize(models.TextChoices):
    SMALL = "s", "Small"
    MEDIUM = "m", "Medium"
    LARGE = "l", "Large"


class OverlayBackground(models.TextChoices):
    TRANSPARENT = "transparent", "Transparent (OBS browser source)"
    CHROMA = "chroma", "Chroma-key green (for a video mixer's keyer)"


def validate_brand_color(value: str) -> None:
    """A brand colour is empty or ``#rrggbb`` (it is written into the page's CSS)."""
    if value and not BRAND_COLOR.match(value):
        raise ValidationError("A colour as #rrggbb, such as #0b6e4f.")


class Slide(models.Model):
    """A sponsor or announcement card: a title, a line of text and/or an image, shown between
    the wall's posts every ``Wall.slide_every`` posts, in ``position`` order."""

    wall = models.ForeignKey("crowdwall.Wall", on_delete=models.CASCADE, related_name="slides")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120, blank=True)
    text = models.CharField(max_length=300, blank=True)
    image_url = models.URLField(max_length=500, blank=True, help_text="A logo or a poster.")
    image_alt = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["wall", "position", "id"]

    def __str__(self) -> str:
        return self.title or self.text[:40] or self.image_url

    def clean(self) -> None:
        super().clean()
        if not (self.title or self.text or self.image_url):
            raise ValidationError("A slide needs a title, a text or an image.")
