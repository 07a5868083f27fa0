"""Builds the bundled replay file: sample posts of a Django conference day, written for this project.

Deterministic (a seeded ``random.Random``), so the committed ``data/replay.jsonl`` can be checked
against it (a test does). Regenerate with::

    python -m crowdwall.sources.replay_data > src/crowdwall/sources/data/replay.jsonl

Every text is written once and posted once, by one author (no templates filled with talk
names: those read as "The the workshop room…" and showed one post under several names). The
``created_at`` stamps follow the day (``SCENES``): steady chatter, bursts when a keynote or the
lightning talks start, quiet spells in the breaks; the replay source's ``pacing: "recorded"``
replays those gaps. Avatars and photos are the demo's own drawings (``scripts/demo_images.py``),
named ``static:<path>``: the replay source turns that into the site's static URL. Names and
profile URLs are invented (``*.example`` domains).

The mix still exercises the whole pipeline: several languages and scripts, hashtags in any case,
replies, boosts, bots, content warnings, sensitive media, alt text (and media without it),
a few posts with hostile HTML, edits and deletions of earlier posts.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from crowdwall.sources.replay_texts import (  # the hand-written texts
    BREAK,
    GENERAL,
    KEYNOTE,
    LIGHTNING,
    ORGANISERS,
    OTHER,
    PYWEEKLY,
)

SEED = 2025
START = datetime(2025, 5, 14, 8, 0, tzinfo=UTC)
INSTANCES = ["fosstodon.example", "mastodon.example", "social.example", "hachyderm.example"]
STATIC = "static:"  # the replay source resolves "static:<path>" through the site's STATIC_URL

AUTHORS = [
    ("ana", "Ana Souza", "pt"),
    ("ben", "Ben Okafor", "en"),
    ("chloe", "Chloé Martin", "fr"),
    ("dev_dan", "Dan ✨", "en"),
    ("elif", "Elif Yılmaz", "en"),
    ("felix", "Felix Wagner", "de"),
    ("grace", "Grace Liu", "en"),
    ("hiro", "佐藤 ひろし", "ja"),
    ("ines", "Inés García", "es"),
    ("jonas", "Jonas de Vries", "nl"),
    ("kat", "Kat 🐍", "en"),
    ("lena", "Lena Schmidt", "de"),
    ("marco", "Marco Rossi", "it"),
    ("nadia", "Nadia Haddad", "en"),
    ("olek", "Олександр", "uk"),
    ("priya", "Priya Raman", "en"),
    ("quentin", "Quentin Leroy", "fr"),
    ("rosa", "Rosa Díaz", "es"),
    ("sam", "Sam Taylor", "en"),
    ("tomasz", "Tomasz Nowak", "en"),
    ("uma", "Uma Patel", "en"),
    ("vik", "Vikram S.", "en"),
    ("wren", "Wren", "en"),
    ("yuki", "Yuki Tanaka", "ja"),
    ("zoe", "Zoë Brooks", "en"),
    ("djangoconbot", "DjangoCon schedule bot", "en"),
    ("pyweekly", "Python Weekly-ish", "en"),
    ("organisers", "DjangoCon Organisers", "en"),
]
BOTS = {"djangoconbot", "pyweekly"}
NO_AVATAR = {"uma", "wren"}  # authors without a picture: their initials show
STAFF = {"djangoconbot", "pyweekly", "organisers"}  # post only their own texts
PEOPLE = ["@ana", "@ben", "@grace", "@priya", "@felix", "@kat", "@sam", "@elif"]

# The demo's drawings (scripts/demo_images.py draws one per entry), and the words of a post
# that call for one of them.
PHOTOS = {
    "room": "The main hall seen from the back row: every seat taken, the slide shows the Django logo.",
    "stickers": "Three people laughing behind a table covered in colourful stickers.",
    "chart": "A bar chart of response times: tall red bars before caching, short green ones after.",
    "coffee": "A latte with milk foam drawn in the shape of a little snake.",
    "whiteboard": "A whiteboard covered in sticky notes in four colours, the sprint plan.",
    "laptop": "A laptop covered in stickers, its terminal showing a test run ending in green.",
    "venue": "The venue's glass front at sunrise under a green DjangoCon banner.",
    "lunch": "",  # posted without a description: the wall says so
}
PHOTO_HINTS = [
    ("back of the main hall", "room"),
    ("Sticker table", "stickers"),
    ("stampedes", "chart"),
    ("latte art", "coffee"),
    ("Sprint planning board", "whiteboard"),
    ("Merged before lunch", "laptop"),
    ("Arrived at the venue", "venue"),
    ("Lunch is excellent", "lunch"),
    ("stroopwafels for the whole sprint", "whiteboard"),
]

SCHEDULE = [  # (room, session) announced by the schedule bot as each burst starts
    ("Main hall", "Opening keynote"),
    ("Main hall", "Lightning talks"),
    ("Main hall", "Closing keynote"),
]
# The day: (kind, pool, posts). Gaps in seconds between posts per kind (``GAPS``).
SCENES = [
    ("steady", "organisers", 1),
    ("steady", "general", 8),
    ("burst", "keynote", 19),
    ("steady", "general", 16),
    ("quiet", "break", 4),
    ("steady", "general", 14),
    ("steady", "pyweekly", 1),
    ("burst", "lightning", 12),
    ("steady", "general", 14),
    ("quiet", "break", 4),
    ("steady", "general", 16),
    ("burst", "closing", 6),
    ("steady", "general", 40),
]
CLOSING = 5  # the last texts of KEYNOTE are about the closing keynote
GAPS = {"burst": (2, 8), "steady": (15, 50), "quiet": (90, 240)}
CWS = ["keynote spoilers", "food pics", "eye contact", "long thread", "venue complaints"]
HOSTILE = [
    '<p>Great talk!<script>alert("xss")</script> #DjangoCon</p>',
    '<p>Photo: <img src="x" onerror="alert(1)"> from the hall #djangocon</p>',
    '<p><a href="javascript:alert(document.cookie)">Slides here</a> #DjangoCon</p>',
    '<p style="position:fixed;top:0">Pinned forever?</p><style>body{display:none}</style> #DjangoCon',
    '<p><a href="https://slides.example/talk" onclick="steal()">Slides</a> #python</p>',
    '<p>Click <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">here</a> #DjangoCon</p>',
    "<svg><script>alert(1)</script></svg><p>vector art talk was fun #djangocon</p>",
]


def _author(handle: str, name: str) -> dict[str, Any]:
    instance = INSTANCES[sum(map(ord, handle)) % len(INSTANCES)]
    avatar = "" if handle in NO_AVATAR else f"{STATIC}crowdwall/demo/avatars/{handle}.svg"
    return {
        "id": f"https://{instance}/users/{handle}",
        "handle": f"{handle}@{instance}",
        "display_name": name,
        "avatar_url": avatar,
        "profile_url": f"https://{instance}/@{handle}",
        "bot": handle in BOTS,
    }


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<p>{escaped}</p>"


def _day(rng: random.Random) -> Iterator[tuple[str, str, str, int]]:
    """(handle, language, text, gap before it) for every post of the day, each text once."""
    pools = {
        "keynote": rng.sample(KEYNOTE[:-CLOSING], len(KEYNOTE) - CLOSING),
        "closing": rng.sample(KEYNOTE[-CLOSING:], CLOSING),
        "lightning": rng.sample(LIGHTNING, len(LIGHTNING)),
        "break": rng.sample(BREAK, len(BREAK)),
        "general": rng.sample(GENERAL, len(GENERAL)),
        "organisers": list(ORGANISERS),
        "pyweekly": list(PYWEEKLY),
    }
    foreign = [(lang, text) for lang, texts in OTHER.items() for text in texts]
    rng.shuffle(foreign)
    humans = [(h, lang) for h, _n, lang in AUTHORS if h not in STAFF]
    schedule = iter(SCHEDULE)
    organisers = iter(pools["organisers"][1:])  # the first opens the day
    for kind, pool, count in SCENES:
        low, high = GAPS[kind]
        if kind == "burst":  # the bot announces the session that starts it
            room, session = next(schedule)
            yield (
                "djangoconbot",
                "en",
                f"Starting now in {room}: {session}. #DjangoCon #schedule",
                30,
            )
        for _ in range(count):
            gap = rng.randint(low, high)
            if pool in ("organisers", "pyweekly"):
                yield pool, "en", pools[pool].pop(0), gap
                continue
            if not pools[pool]:
                break
            if pool == "general" and foreign and rng.random() < 0.25:
                language, text = foreign.pop()
                handle = rng.choice([h for h, lang in humans if lang == language])
                yield handle, language, text, gap
                continue
            handle, language = rng.choice(humans)
            yield handle, "en", pools[pool].pop(), gap
        if kind == "quiet":
            text = next(organisers, None)
            if text:
                yield "organisers", "en", text, rng.randint(low, high)
    for language, text in foreign:  # whatever the scenes left
        yield rng.choice([h for h, lang in humans if lang == language]), language, text, 40
    for text in pools["general"]:
        yield rng.choice(humans)[0], "en", text, 40


def build_posts() -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    names = {handle: name for handle, name, _lang in AUTHORS}
    when = START
    made: list[dict[str, Any]] = []
    for number, (handle, language, text, gap) in enumerate(_day(rng), 1):
        when += timedelta(seconds=gap)
        author = _author(handle, names[handle])
        post: dict[str, Any] = {
            "id": f"replay-{number:04d}",
            "created_at": when.isoformat().replace("+00:00", "Z"),
            "url": f"https://{author['handle'].split('@')[1]}/@{handle}/{100000 + number}",
            "author": author,
            "html": _html(text),
            "language": language,
            "counts": {
                "boosts": rng.randint(0, 40),
                "favourites": rng.randint(0, 120),
                "replies": rng.randint(0, 12),
            },
        }
        roll = rng.random()
        if number % 23 == 0:
            post["html"] = HOSTILE[(number // 23) % len(HOSTILE)]
        elif handle not in STAFF and roll < 0.12:
            post["reply"] = True
            post["html"] = _html(f"{rng.choice(PEOPLE)} {text}")
        elif handle not in STAFF and roll < 0.24:
            post["boost"] = True
        if handle not in STAFF and rng.random() < 0.07:
            post["spoiler_text"] = rng.choice(CWS)
            post["sensitive"] = True
        photo = next((slug for hint, slug in PHOTO_HINTS if hint in text), None)
        if photo:
            post["media"] = [
                {
                    "url": f"{STATIC}crowdwall/demo/photos/{photo}.svg",
                    "type": "image",
                    "alt": PHOTOS[photo],
                }
            ]
        post["tags"] = [
            tag.lstrip("#").rstrip(".,!").lower() for tag in text.split() if tag.startswith("#")
        ]
        made.append(post)
        yield post
        if number % 60 == 0:  # an edit of a recent post
            target = dict(made[-rng.randint(2, 10)])
            target["action"] = "update"
            target["html"] = target["html"].replace("</p>", " (edit: fixed a typo)</p>", 1)
            target["edited_at"] = (when + timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
            yield target
        if number % 90 == 0:  # a deletion of an older post
            yield {"id": made[-rng.randint(10, 30)]["id"], "action": "delete"}


def render() -> str:
    return "".join(
        json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n" for p in build_posts()
    )


if __name__ == "__main__":
    sys.stdout.write(render())
