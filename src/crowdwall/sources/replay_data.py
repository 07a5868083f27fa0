"""Builds the bundled replay file: a few hundred sample posts about a Django conference.

Deterministic (a seeded ``random.Random``), so the committed ``data/replay.jsonl`` can be checked
against it (a test does). Every post is written for this project; names and URLs are invented
(``*.example`` domains). Regenerate with::

    python -m crowdwall.sources.replay_data > src/crowdwall/sources/data/replay.jsonl

The mix exercises the whole pipeline: several languages and scripts, hashtags in any case,
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

SEED = 2025
COUNT = 360
START = datetime(2025, 5, 14, 8, 0, tzinfo=UTC)
INSTANCES = ["fosstodon.example", "mastodon.example", "social.example", "hachyderm.example"]

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

TALKS = [
    "async views in production",
    "the ORM's query planner",
    "htmx and Django forms",
    "accessible admin themes",
    "Postgres full-text search",
    "caching without tears",
    "testing with pytest-django",
    "deploying on a single VPS",
    "Django Channels at scale",
    "typing your Django project",
    "the new composite primary keys",
    "security headers",
    "migrations on big tables",
    "Wagtail in the newsroom",
    "Django Ninja APIs",
]
ROOMS = ["Main hall", "Room B", "Room C", "the workshop room"]
PEOPLE = ["@ana", "@ben", "@grace", "@priya", "@felix", "@kat", "@sam", "@elif"]

EN = [
    "Just watched the talk on {talk}. Brilliant, and the slides are already up! #DjangoCon",
    "Coffee queue is long but the hallway track is worth it ☕ #djangocon #python",
    "TIL from the talk on {talk}: measure before you optimise. Obvious, and yet. #Python",
    "Anyone up for sprints on Saturday? Looking at {talk} issues. #DjangoCon #opensource",
    "The {room} is packed for {talk}. Standing room only! #DjangoCon",
    "Loved how {person} explained {talk} with live demos that actually worked 😅 #djangocon",
    "Lightning talks were gold this year. Favourite so far: a 5-minute intro to {talk}. #DjangoCon",
    "First DjangoCon and everyone is so welcoming. Thank you organisers! #DjangoCon #community",
    "Hot take: {talk} is the most underrated topic at #DjangoCon this year.",
    "Great question from the audience about {talk} and database locks. #django #postgres",
    "Reminder: the quiet room is next to {room}. Take care of yourselves. #DjangoCon",
    "Shipping a fix I learned about in the {talk} talk. Conference-driven development. #Python",
    "Slides for my talk on {talk} are online. Thanks to everyone who came! #DjangoCon",
    "The live captions in {room} are excellent. More of this, everywhere. #a11y #DjangoCon",
    "Pair-programmed with a stranger on {talk} and now we are friends. #djangocon #python",
    "If you missed {talk}, the recording will be up next week. #DjangoCon",
    "Sticker table report: the pony stickers are gone, the Python ones remain. #DjangoCon",
    "Three talks in a row about {talk}. The theme of the day is clear. #django",
    "Keynote reminded us that Django is 20 years old and still kind. #DjangoCon #Python",
    "Our team is hiring Django folks, come find us near {room}. #DjangoCon #jobs",
]
OTHER = {
    "pt": [
        "Palestra incrível sobre {talk}! #DjangoCon #python",
        "Primeira vez na DjangoCon e estou adorando a comunidade. #djangocon",
    ],
    "fr": [
        "Super présentation sur {talk}, merci {person} ! #DjangoCon #Python",
        "Le café est bon et les conférences encore meilleures. #djangocon",
    ],
    "de": [
        "Toller Vortrag über {talk} – sehr praxisnah. #DjangoCon #Python",
        "Die Sprints am Samstag werden großartig. Wer ist dabei? #djangocon #Straße",
    ],
    "es": [
        "¡Qué charla tan buena sobre {talk}! #DjangoCon #python",
        "Aprendiendo muchísimo en la DjangoCon. Gracias a todas las voluntarias. #djangocon",
    ],
    "ja": [
        "{talk}についての発表、とても勉強になりました！ #DjangoCon #Python",
        "DjangoConの廊下トラックが最高です #djangocon #パイソン",
    ],
    "nl": ["Mooie talk over {talk}, veel geleerd. #DjangoCon #python"],
    "it": ["Che bel talk su {talk}! #DjangoCon #Python"],
    "uk": ["Чудова доповідь про {talk}! #DjangoCon #Python #Україна"],
}
CWS = ["keynote spoilers", "food pics", "eye contact", "long thread", "venue complaints"]
ALTS = [
    "A packed conference room seen from the back, slides showing a Django logo.",
    "Three people laughing at a sticker table covered in pony stickers.",
    "A slide with a bar chart comparing response times before and after caching.",
    "A coffee cup with latte art in the shape of a snake.",
    "A whiteboard full of sprint tasks written in different colours.",
]
HOSTILE = [
    '<p>Great talk!<script>alert("xss")</script> #DjangoCon</p>',
    '<p>Photo: <img src="x" onerror="alert(1)"> from the hall #djangocon</p>',
    '<p><a href="javascript:alert(document.cookie)">Slides here</a> #DjangoCon</p>',
    '<p style="position:fixed;top:0">Pinned forever?</p><style>body{display:none}</style> #DjangoCon',
    '<p><a href="https://slides.example/talk" onclick="steal()">Slides</a> #python</p>',
    '<p>Click <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">here</a> #DjangoCon</p>',
    "<svg><script>alert(1)</script></svg><p>vector art talk was fun #djangocon</p>",
]


def _author(rng: random.Random, handle: str, name: str) -> dict[str, Any]:
    instance = INSTANCES[sum(map(ord, handle)) % len(INSTANCES)]
    return {
        "id": f"https://{instance}/users/{handle}",
        "handle": f"{handle}@{instance}",
        "display_name": name,
        "avatar_url": f"https://{instance}/avatars/{handle}.png",
        "profile_url": f"https://{instance}/@{handle}",
        "bot": handle in BOTS,
    }


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<p>{escaped}</p>"


def build_posts() -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    when = START
    made: list[dict[str, Any]] = []
    for number in range(1, COUNT + 1):
        when += timedelta(seconds=rng.randint(5, 90))
        handle, name, language = rng.choice(AUTHORS)
        fill = {"talk": rng.choice(TALKS), "room": rng.choice(ROOMS), "person": rng.choice(PEOPLE)}
        if handle == "djangoconbot":
            text = f"Starting now in {fill['room']}: {fill['talk']}. #DjangoCon #schedule"
        elif language != "en" and rng.random() < 0.8:
            text = rng.choice(OTHER[language]).format(**fill)
        else:
            text = rng.choice(EN).format(**fill)
        author = _author(rng, handle, name)
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
        if number % 41 == 0:
            post["html"] = HOSTILE[(number // 41) % len(HOSTILE)]
        if roll < 0.12:
            post["reply"] = True
            post["html"] = _html(f"{rng.choice(PEOPLE)} {text}")
        elif roll < 0.22:
            post["boost"] = True
        if rng.random() < 0.07:
            post["spoiler_text"] = rng.choice(CWS)
            post["sensitive"] = True
        if rng.random() < 0.18:
            post["media"] = [
                {
                    "url": f"https://media.example/{number}-{i}.jpg",
                    "type": "image",
                    "alt": rng.choice(ALTS) if rng.random() < 0.85 else "",
                }
                for i in range(rng.randint(1, 3))
            ]
            if rng.random() < 0.2:
                post["sensitive"] = True
        post["tags"] = [tag.lstrip("#").lower() for tag in text.split() if tag.startswith("#")]
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
