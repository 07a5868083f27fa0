"""The brand theme's ink colours (crowdwall.screen_colors): whatever the brand colour, text on
it and the brand as text on the white cards keep WCAG's 4.5:1, and the page carries them."""

from __future__ import annotations

import itertools

import pytest

from crowdwall.screen_colors import (
    DEFAULT_BRAND,
    MINIMUM_CONTRAST,
    brand_inks,
    contrast_ratio,
    mix,
    parse_hex,
    relative_luminance,
    screen_style,
)

NAMED = ["#ffffff", "#000000", "#f5c518", "#7b2cbf", "#0b6e4f", "#ff0000", "#00ff00", "#0000ff"]
GREYS = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0x60, 0xA1, 4)]  # around the 4.58:1 worst case
# Every 51st step of each channel (6^3 = 216 colours): light, dark and saturated corners.
SWEEP = [
    "#{:02x}{:02x}{:02x}".format(*rgb) for rgb in itertools.product(range(0, 256, 51), repeat=3)
]


def test_luminance_and_contrast_match_wcag():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
    assert contrast_ratio("#777777", "#777777") == 1
    # WebAIM's checker: #767676 on white is 4.54:1, #7b2cbf on white 7.11:1.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#7b2cbf", "#ffffff") == pytest.approx(7.11, abs=0.01)
    assert mix("#000000", "#ffffff", 0.5) == "#808080"
    assert parse_hex("#0B6e4F") == (11, 110, 79)
    with pytest.raises(ValueError):
        parse_hex("#fff")


@pytest.mark.parametrize("color", NAMED + GREYS + SWEEP)
def test_every_brand_colour_gets_readable_inks(color):
    inks = brand_inks(color)
    assert inks.ink in ("#000000", "#ffffff")
    assert contrast_ratio(inks.ink, color) >= MINIMUM_CONTRAST
    assert contrast_ratio(inks.muted, color) >= MINIMUM_CONTRAST
    assert contrast_ratio(inks.on_card, "#ffffff") >= MINIMUM_CONTRAST
    # The ticker label and the announcement band: the brand as text on an ink background.
    assert contrast_ratio(color, inks.ink) >= MINIMUM_CONTRAST


def test_ink_follows_the_brand_and_muted_is_muted():
    assert brand_inks("#f5c518").ink == "#000000"  # a yellow brand: black text
    assert brand_inks("#ffffff").ink == "#000000"
    assert brand_inks("#7b2cbf").ink == "#ffffff"  # a purple brand: white text
    assert brand_inks("#000000").ink == "#ffffff"
    purple = brand_inks("#7b2cbf")
    assert purple.muted not in (purple.ink, purple.brand)  # between the two where it can be
    assert purple.on_card == "#7b2cbf"  # a dark brand reads on white as it is
    yellow = brand_inks("#f5c518")
    assert yellow.on_card != "#f5c518"  # a light one is darkened (same hue) until it reads
    # Cards get an edge only when the brand is as light as they are.
    assert brand_inks("#ffffff").edge != "transparent"
    assert purple.edge == yellow.edge == "transparent"


@pytest.mark.parametrize("value", ["", "red", "#fff", "#12345g", "#fff;}"])
def test_no_or_a_bad_colour_gets_the_default_brands_inks(value):
    assert brand_inks(value) == brand_inks(DEFAULT_BRAND)


def test_css_is_only_hex_colours():
    css = brand_inks("#F5C518").css()
    assert css == (
        "--brand-ink: #000000; --brand-muted: #624f0a; "
        "--brand-on-card: #8e720e; --brand-edge: transparent"
    )


def test_the_screens_style_names_the_brand_only_when_the_wall_has_one():
    assert screen_style("#7B2CBF").startswith("--brand: #7b2cbf; --on-mark: #ffffff; --brand-ink:")
    assert screen_style("").startswith("--brand-ink: #ffffff;")  # default brand's inks only
    assert screen_style("#fff;}") == screen_style("")  # never written into the page as given
