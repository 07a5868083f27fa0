"""Draws the demo's avatars and photos as small SVG files (no downloads, no licences to track).

    python scripts/demo_images.py            write them under src/crowdwall/static/crowdwall/demo/
    python scripts/demo_images.py --check    exit 1 if the committed files differ from the drawing

Deterministic: one avatar per sample author of ``crowdwall.sources.replay_data`` (a face drawn
from a seed of the handle: skin, hair, shirt, background; a robot for bots) and one flat
illustration per photo the sample posts describe (``PHOTOS``: the alt text says what it shows).
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crowdwall.sources.replay_data import AUTHORS, BOTS, NO_AVATAR, PHOTOS  # noqa: E402

OUT = ROOT / "src" / "crowdwall" / "static" / "crowdwall" / "demo"
SKIN = ["#f5d0b5", "#e8b48f", "#c98e62", "#a86f46", "#7b4a2c", "#5a3520"]
HAIR = ["#2b1d14", "#5b3a1e", "#a0522d", "#d9a441", "#e3e3e3", "#1c1c1c", "#7f2f4a", "#3a3a6a"]
SHIRT = ["#0b6e4f", "#1f4e9c", "#c2410c", "#7a2e8e", "#be123c", "#0e7490", "#4d7c0f", "#334155"]
BACK = ["#dbeafe", "#fde68a", "#fbcfe8", "#bbf7d0", "#e9d5ff", "#fed7aa", "#cffafe", "#e5e7eb"]


def _rng(key: str) -> random.Random:
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{title}</title>{body}</svg>\n'
    )


def avatar(handle: str, name: str) -> str:
    """A friendly face (or a robot for a bot account) on a coloured square."""
    rng = _rng(handle)
    back = rng.choice(BACK)
    if handle in BOTS:
        body = (
            f'<rect width="96" height="96" fill="{back}"/>'
            '<rect x="22" y="26" width="52" height="44" rx="10" fill="#475569"/>'
            '<circle cx="38" cy="46" r="7" fill="#facc15"/><circle cx="58" cy="46" r="7" fill="#facc15"/>'
            '<rect x="36" y="58" width="24" height="4" rx="2" fill="#e2e8f0"/>'
            '<rect x="46" y="14" width="4" height="12" fill="#475569"/><circle cx="48" cy="13" r="4" fill="#ef4444"/>'
            '<rect x="26" y="72" width="44" height="24" rx="6" fill="#64748b"/>'
        )
        return _svg(96, 96, body, name)
    skin, hair, shirt = rng.choice(SKIN), rng.choice(HAIR), rng.choice(SHIRT)
    style = rng.randrange(4)
    hair_shape = [
        '<path d="M26 44 Q26 18 48 18 Q70 18 70 44 Q64 30 48 30 Q32 30 26 44Z"/>',  # short
        '<path d="M24 70 Q20 20 48 18 Q76 20 72 70 L64 70 Q66 34 48 32 Q30 34 32 70Z"/>',  # long
        '<circle cx="48" cy="26" r="16"/><path d="M28 42 Q30 22 48 22 Q66 22 68 42Z"/>',  # curls
        '<path d="M28 40 Q30 20 48 20 Q60 20 66 28 L70 40 Q58 28 40 32Z"/>',  # side part
    ][style]
    glasses = (
        '<g fill="none" stroke="#1f2937" stroke-width="2"><circle cx="40" cy="47" r="6"/>'
        '<circle cx="56" cy="47" r="6"/><path d="M46 47h4"/></g>'
        if rng.random() < 0.35
        else ""
    )
    body = (
        f'<rect width="96" height="96" fill="{back}"/>'
        f'<path d="M14 96 Q16 70 48 68 Q80 70 82 96Z" fill="{shirt}"/>'
        f'<rect x="42" y="58" width="12" height="12" fill="{skin}"/>'
        f'<ellipse cx="48" cy="46" rx="20" ry="23" fill="{skin}"/>'
        f'<g fill="{hair}">{hair_shape}</g>'
        '<circle cx="40" cy="47" r="2.2" fill="#1f2937"/><circle cx="56" cy="47" r="2.2" fill="#1f2937"/>'
        '<path d="M41 57 Q48 62 55 57" fill="none" stroke="#7f1d1d" stroke-width="2" stroke-linecap="round"/>'
        f"{glasses}"
    )
    return _svg(96, 96, body, name)


def _room() -> str:
    heads = "".join(
        f'<circle cx="{40 + col * 58 + (row % 2) * 29}" cy="{430 + row * 55}" r="{22 + row * 3}" '
        f'fill="{["#1e293b", "#334155", "#475569"][(col + row) % 3]}"/>'
        for row in range(4)
        for col in range(14)
    )
    return (
        '<rect width="800" height="600" fill="#0f172a"/>'
        '<rect x="170" y="60" width="460" height="260" fill="#f8fafc"/>'
        '<rect x="190" y="80" width="420" height="220" fill="#0c4b33"/>'
        '<text x="400" y="210" font-family="sans-serif" font-size="72" font-weight="700" '
        'fill="#f8fafc" text-anchor="middle">django</text>'
        '<rect x="380" y="320" width="40" height="60" fill="#64748b"/>' + heads
    )


def _stickers() -> str:
    rng = _rng("stickers")
    dots = "".join(
        f'<circle cx="{rng.randint(120, 680)}" cy="{rng.randint(400, 540)}" r="{rng.randint(14, 24)}" '
        f'fill="{rng.choice(SHIRT)}"/>'
        for _ in range(40)
    )
    people = "".join(
        f'<circle cx="{x}" cy="200" r="46" fill="{skin}"/>'
        f'<path d="M{x - 80} 380 Q{x} 250 {x + 80} 380Z" fill="{shirt}"/>'
        f'<path d="M{x - 20} 215 Q{x} 240 {x + 20} 215" stroke="#7f1d1d" stroke-width="5" fill="none"/>'
        for x, skin, shirt in (
            (220, SKIN[1], SHIRT[0]),
            (400, SKIN[4], SHIRT[2]),
            (580, SKIN[0], SHIRT[1]),
        )
    )
    return (
        '<rect width="800" height="600" fill="#fde68a"/>'
        + people
        + '<rect x="80" y="380" width="640" height="190" rx="12" fill="#92400e"/>'
        + dots
    )


def _chart() -> str:
    bars = "".join(
        f'<rect x="{120 + i * 140}" y="{520 - h}" width="50" height="{h}" fill="#be123c"/>'
        f'<rect x="{175 + i * 140}" y="{520 - h // 6}" width="50" height="{h // 6}" fill="#0b6e4f"/>'
        for i, h in enumerate((380, 300, 420, 340))
    )
    return (
        '<rect width="800" height="600" fill="#f8fafc"/>'
        '<text x="400" y="70" font-family="sans-serif" font-size="36" text-anchor="middle" '
        'fill="#0f172a">Response time (ms)</text>'
        '<path d="M90 100V520H740" stroke="#0f172a" stroke-width="4" fill="none"/>' + bars
    )


def _coffee() -> str:
    return (
        '<rect width="800" height="600" fill="#e7d5c0"/>'
        '<ellipse cx="400" cy="320" rx="270" ry="200" fill="#f8fafc"/>'
        '<ellipse cx="400" cy="300" rx="200" ry="140" fill="#7c4a22"/>'
        '<path d="M300 330 Q340 240 400 300 T500 270 Q520 250 540 262" stroke="#fef3c7" '
        'stroke-width="26" fill="none" stroke-linecap="round"/>'
        '<circle cx="538" cy="258" r="20" fill="#fef3c7"/><circle cx="544" cy="252" r="4" fill="#7c4a22"/>'
        '<path d="M660 290 Q760 300 680 380" stroke="#f8fafc" stroke-width="30" fill="none"/>'
    )


def _whiteboard() -> str:
    rng = _rng("whiteboard")
    notes = "".join(
        f'<rect x="{100 + col * 160}" y="{110 + row * 130}" width="120" height="100" '
        f'fill="{["#fde047", "#f9a8d4", "#86efac", "#93c5fd"][(row + col) % 4]}"/>'
        + "".join(
            f'<rect x="{112 + col * 160}" y="{130 + row * 130 + line * 22}" '
            f'width="{rng.randint(50, 96)}" height="6" fill="#334155"/>'
            for line in range(3)
        )
        for row in range(3)
        for col in range(4)
    )
    return (
        '<rect width="800" height="600" fill="#cbd5e1"/>'
        '<rect x="60" y="60" width="680" height="480" fill="#ffffff" stroke="#64748b" stroke-width="10"/>'
        + notes
    )


def _laptop() -> str:
    lines = "".join(
        f'<rect x="210" y="{150 + i * 28}" width="{[300, 220, 340, 180, 260, 120][i]}" height="12" '
        f'fill="{"#4ade80" if i == 5 else "#94a3b8"}"/>'
        for i in range(6)
    )
    stickers = "".join(
        f'<circle cx="{x}" cy="{y}" r="18" fill="{c}"/>'
        for x, y, c in ((560, 120, "#f43f5e"), (600, 300, "#22c55e"), (200, 330, "#eab308"))
    )
    return (
        '<rect width="800" height="600" fill="#94a3b8"/>'
        '<rect x="160" y="90" width="480" height="320" rx="16" fill="#1e293b"/>'
        '<rect x="185" y="115" width="430" height="270" fill="#0f172a"/>'
        + lines
        + '<path d="M100 430H700L740 480H60Z" fill="#475569"/>'
        + stickers
    )


def _venue() -> str:
    return (
        '<rect width="800" height="600" fill="#fb923c"/>'
        '<circle cx="620" cy="200" r="90" fill="#fde68a"/>'
        '<rect x="80" y="240" width="640" height="360" fill="#1e3a5f"/>'
        + "".join(
            f'<rect x="{100 + c * 78}" y="{260 + r * 80}" width="60" height="60" fill="#7dd3fc" opacity=".7"/>'
            for r in range(4)
            for c in range(8)
        )
        + '<rect x="220" y="180" width="360" height="50" fill="#0b6e4f"/>'
        '<text x="400" y="216" font-family="sans-serif" font-size="32" font-weight="700" '
        'fill="#fff" text-anchor="middle">DjangoCon</text>'
    )


def _lunch() -> str:
    plates = "".join(
        f'<circle cx="{x}" cy="{y}" r="54" fill="#f8fafc"/>'
        f'<circle cx="{x - 14}" cy="{y - 8}" r="18" fill="#16a34a"/>'
        f'<circle cx="{x + 16}" cy="{y + 6}" r="20" fill="#f59e0b"/>'
        f'<circle cx="{x}" cy="{y + 22}" r="12" fill="#dc2626"/>'
        for x, y in ((200, 200), (400, 160), (600, 220), (280, 400), (520, 420))
    )
    return '<rect width="800" height="600" fill="#a16207"/>' + plates


DRAWINGS: dict[str, Callable[[], str]] = {
    "room": _room,
    "stickers": _stickers,
    "chart": _chart,
    "coffee": _coffee,
    "whiteboard": _whiteboard,
    "laptop": _laptop,
    "venue": _venue,
    "lunch": _lunch,
}


def files() -> dict[str, str]:
    """Every demo image: its path under ``demo/`` and its SVG text."""
    out = {
        f"avatars/{handle}.svg": avatar(handle, name)
        for handle, name, _lang in AUTHORS
        if handle not in NO_AVATAR
    }
    for slug, alt in PHOTOS.items():
        out[f"photos/{slug}.svg"] = _svg(800, 600, DRAWINGS[slug](), alt.replace("&", "&amp;"))
    return out


def main(arguments: list[str]) -> int:
    wanted = files()
    if "--check" in arguments:
        stale = [name for name, text in wanted.items() if not (OUT / name).is_file()
                 or (OUT / name).read_text(encoding="utf-8") != text]  # fmt: skip
        for name in stale:
            print(f"differs: {name}")
        return 1 if stale else 0
    for name, text in wanted.items():
        (OUT / name).parent.mkdir(parents=True, exist_ok=True)
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"{len(wanted)} files under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
