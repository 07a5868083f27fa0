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

# Hand-written sample posts: every text is used once, by one author.
KEYNOTE = [
    "Keynote is starting, the main hall is full to the back wall! #DjangoCon",
    '"Django turned 20 and it is still the framework that taught me to care about the boring parts." Great opening line. #DjangoCon',
    "The keynote speaker just asked who deployed on a Friday this week. Half the room raised a hand. #DjangoCon",
    "Live captions on the big screen during the keynote. This is how every conference should do it. #DjangoCon #a11y",
    "Keynote slide: 'The ORM is a gift to the next developer who reads your code.' Writing that down. #DjangoCon",
    "Hearing the story of the first Django release from someone who was there. Goosebumps. #DjangoCon #Python",
    "The keynote is about maintainers burning out and how to share the load. Needed this. #DjangoCon #opensource",
    "Standing ovation for the Django Fellows. They deserve every second of it. #DjangoCon",
    "Keynote takeaway: fewer clever abstractions, more readable views. #DjangoCon #Python",
    "That live demo of a 12-line Django app serving a million rows just worked. Applause. #DjangoCon",
    "The keynote just announced the sprint projects for Saturday, and there is one for first-timers. #DjangoCon",
    "I did not expect to laugh this much in a keynote about database migrations. #DjangoCon",
    'Keynote quote of the day: "Your users do not care about your architecture, they care that the page loads." #DjangoCon',
    "The room went silent during the part about mentoring. Powerful keynote. #DjangoCon #community",
    "Photo from the back of the main hall, the keynote slides are huge. #DjangoCon",
    "The keynote speaker is using Django admin as a teaching tool for kids. Brilliant idea. #DjangoCon #Python",
    "Keynote: the Django community code of conduct was one of the first in open source. Proud moment. #DjangoCon",
    "A keynote that ends with a to-do list for the audience. I like being given homework. #DjangoCon",
    "Huge applause when the keynote mentioned the new contributors from last year's sprints. #DjangoCon",
    "Closing keynote reminded us that the best feature of Django is its documentation. #DjangoCon #Python",
    "The closing keynote had a slide of every DjangoCon logo since 2008. Nostalgia overload. #DjangoCon",
    'Closing keynote: "Go home, rest, then write the blog post you promised yourself." #DjangoCon',
    "Thank you to everyone who made this week happen, the closing keynote made me a bit emotional. #DjangoCon",
    "Closing keynote announced next year's city and the room cheered. #DjangoCon",
]
LIGHTNING = [
    "Lightning talk: a Django management command that reads your logs and suggests indexes. Want it now. #DjangoCon",
    "Five minutes on writing error messages for humans. The best lightning talk so far. #DjangoCon",
    "Lightning talk about a school library that runs on Django since 2011. Still on the first server. #DjangoCon #Python",
    "Someone just did a lightning talk entirely in haiku. The timer beeped on the last syllable. #DjangoCon",
    "Lightning talk: a tiny package that makes template errors point at the right line. Installed it during the talk. #DjangoCon",
    "The lightning talk about volunteering at PyLadies got the loudest cheer. #DjangoCon #Python",
    "Lightning talk: 'I replaced Celery with a database table and a cron job and nobody noticed.' #DjangoCon",
    "A lightning talk on the history of the pony. I now know more about the pony than about my own project. #DjangoCon",
    "Lightning talk tip: `./manage.py check --deploy` before every release. So simple. #DjangoCon #Python",
    "Lightning talk on running Django on a Raspberry Pi in a greenhouse. Tomatoes with an admin panel. #DjangoCon",
    "That lightning talk ran out of time exactly on the punchline. Perfect. #DjangoCon",
    "Lightning talks are the best part of the day, change my mind. #DjangoCon",
]
BREAK = [
    "Coffee break. The queue for the oat milk is longer than the queue for the talks. #DjangoCon",
    "Lunch is excellent, and there are proper vegan options this year. #DjangoCon",
    "Found a quiet corner to answer emails during the break. Back for the afternoon track soon. #DjangoCon",
    "Break time, walked around the sponsor booths and came back with three T-shirts. #DjangoCon",
    "The hallway track during the break solved a bug I had for two weeks. #DjangoCon #Python",
    "Afternoon snack: somebody brought stroopwafels for the whole sprint table. #DjangoCon",
    "Taking a walk outside between sessions, the venue has a lovely garden. #DjangoCon",
    "Quick break to charge my laptop, every socket in the hall is taken. #DjangoCon",
]
GENERAL = [
    "Arrived at the venue, picked up my badge, and the volunteers were lovely. #DjangoCon",
    "First DjangoCon for me. Nervous and excited in equal parts. #DjangoCon #Python",
    "The talk on async views in production was exactly what our team needed. Slides are up already. #DjangoCon",
    "TIL `select_for_update(skip_locked=True)` makes a fine job queue. #DjangoCon #Python #postgres",
    "Room B is packed for the talk on the ORM's query planner, people sitting on the floor. #DjangoCon",
    "Loved the htmx and Django forms talk: no build step, no JSON, still a great UX. #DjangoCon #htmx",
    "The accessible admin themes talk showed a screen reader walkthrough. Eye opening. #DjangoCon #a11y",
    "Postgres full-text search talk: we can drop Elasticsearch for our small site. Ticket opened. #DjangoCon #postgres",
    "Caching without tears, indeed. The slide on cache stampedes was worth the trip. #DjangoCon #Python",
    "pytest-django fixtures talk: I have been doing `setUp` wrong for five years. #DjangoCon #Python",
    "Deploying on a single VPS, the talk: one server, backups tested, sleep at night. #DjangoCon",
    "The Django Channels at scale talk had real graphs from production. Love it. #DjangoCon",
    "Typing your Django project: the speaker showed mypy catching a real bug live. #DjangoCon #Python",
    "Composite primary keys finally landed and the room clapped at a `Meta` class. #DjangoCon",
    "Security headers talk: five lines of settings that would have saved us an incident. #DjangoCon #security",
    "Migrations on big tables: add the column nullable, backfill in batches, then add the constraint. Noted. #DjangoCon #postgres",
    "Wagtail in the newsroom was a fun talk, a real deadline story with a happy ending. #DjangoCon #Wagtail",
    "Django Ninja talk: type hints as the API schema. Very tidy. #DjangoCon #Python",
    "Asked a question in my first talk Q&A ever. The speaker was so kind about it. #DjangoCon",
    "The workshop room is full of laptops and the Wi-Fi is holding up. Respect to the venue team. #DjangoCon",
    "Sticker table report: pony stickers gone by 10:00. Python ones still plentiful. #DjangoCon",
    "Met three people from my city I never knew used Django. Meetup incoming. #DjangoCon #community",
    "The quiet room is a great idea, thank you organisers. #DjangoCon",
    "Sprint planning board is up near Room C. Lots of 'good first issue' cards. #DjangoCon #opensource",
    "Pair-programmed with a stranger on a docs fix. Merged before lunch! #DjangoCon #Python",
    "Our team is hiring Django developers, come say hi at the booth near the main hall. #DjangoCon #jobs",
    "Shipped a fix to production from the hallway, thanks to a tip from the caching talk. #DjangoCon",
    "Just realised I have been mispronouncing 'Django' wrong in a new way. The D is silent, people. #DjangoCon",
    "Notes from the testing talk: test behaviour, not implementation; one assert per idea. #DjangoCon #Python",
    "The speaker's dog appeared on the video call for the remote talk. Best moment of the day. #DjangoCon",
    "The venue has step-free access everywhere and a ramp to the stage. Small things matter. #DjangoCon #a11y",
    "I counted four talks today that mentioned `prefetch_related`. The N+1 problem is the real keynote. #DjangoCon",
    "Django's release process explained by a Fellow. So much care behind each version. #DjangoCon",
    "Got my book signed by the author of the book that taught me Django. Fan moment. #DjangoCon",
    "The talk on Django and GeoDjango maps had the prettiest slides of the conference. #DjangoCon #GIS",
    "Learning that `QuerySet.explain()` exists changed my afternoon. #DjangoCon #postgres",
    "Sitting next to a core developer and too shy to say hi. Maybe tomorrow. #DjangoCon",
    "Lovely talk about moving a 15-year-old Django project to Python 3.12 without a big rewrite. #DjangoCon #Python",
    "The speaker used the Django admin as a CMS for their wedding. Romance. #DjangoCon",
    "Took notes on paper for once. My hand hurts, my brain is happy. #DjangoCon",
    "Who else is going to the sprints on Saturday? I want to try a first ticket. #DjangoCon #opensource",
    "The conference app's schedule is built with Django, of course. #DjangoCon",
    "Q&A question of the day: 'Should I use class-based views?' Answer: 'Yes, no, sometimes.' #DjangoCon",
    "There is a board game corner in the evening social. Who is in? #DjangoCon",
    "Big thanks to the speaker who shared their failed migration story. Honest talks are the best. #DjangoCon",
    "The talk on Django REST framework permissions clarified so much for me. #DjangoCon #Python",
    "Writing down every library name mentioned today. The list is already 23 items long. #DjangoCon #Python",
    "Tried the venue's coffee and the latte art is a little snake. Someone here knows their audience. #DjangoCon",
    "The talk on Django and WebAssembly blew my mind a bit. Python in the browser, for real. #DjangoCon #Python",
    "Learned how the Django security team handles reports. Calm, private, thorough. #DjangoCon #security",
    "So many first-time speakers this year, and they were all great. #DjangoCon #community",
    "Just got a tour of the Django Software Foundation's finances. Donating this evening. #DjangoCon",
    "Room C is the warmest room in the building, bring water. #DjangoCon",
    "My takeaway from today: read the Django source code, it is friendlier than you think. #DjangoCon #Python",
    "Joined the Django Discord after the community talk, see you there. #DjangoCon",
    "The speaker live-coded a signal handler and then talked us out of using signals. Fair. #DjangoCon",
    "Talk on background tasks in Django 6 left the room buzzing. #DjangoCon #Python",
    "Evening social is by the river. Lanterns, music, and a lot of tech talk. #DjangoCon",
    "A talk on internationalisation with real RTL examples. More of this, please. #DjangoCon #i18n",
    "Learned how to profile a slow view with `django-debug-toolbar` and `py-spy`. Good afternoon. #DjangoCon #Python",
    "The organisers fixed the Wi-Fi in ten minutes after a single post. Heroes. #DjangoCon",
    "One day of DjangoCon and my list of side projects doubled. #DjangoCon",
    "Took the train here with four other attendees. Conference started at the station. #DjangoCon",
    "The panel on careers after bootcamps was honest and hopeful. #DjangoCon #community",
    "I now understand `F()` expressions. It only took me six years and one great talk. #DjangoCon #Python",
    "The talk about Django in a hospital's scheduling system was humbling. Real lives, real uptime. #DjangoCon",
    "Remote attendees: the stream is working well, the chat is lively. #DjangoCon",
    "Speaker tip I am stealing: put the URL of your slides on the first slide AND the last slide. #DjangoCon",
    "The swag this year is a reusable water bottle. Practical and kind to the planet. #DjangoCon",
    "Last talk of the day and the room is still full. Impressive. #DjangoCon",
]
OTHER = {
    "pt": [
        "Palestra incrível sobre consultas no ORM, aprendi muito! #DjangoCon #python",
        "Primeira vez na DjangoCon e a comunidade é muito acolhedora. #djangocon",
        "O café daqui é ótimo, e a conversa no corredor melhor ainda. #DjangoCon",
    ],
    "fr": [
        "Super présentation sur la mise en cache, merci pour les exemples concrets ! #DjangoCon #Python",
        "Le café est bon et les conférences encore meilleures. #djangocon",
        "Premier sprint Django pour moi samedi, j'ai un peu le trac. #DjangoCon",
    ],
    "de": [
        "Toller Vortrag über Migrationen auf großen Tabellen – sehr praxisnah. #DjangoCon #Python",
        "Die Sprints am Samstag werden großartig. Wer ist dabei? #djangocon",
        "Mittagessen mit Leuten aus fünf Ländern. Das ist DjangoCon. #DjangoCon",
    ],
    "es": [
        "¡Qué charla tan buena sobre accesibilidad en el admin! #DjangoCon #python",
        "Aprendiendo muchísimo en la DjangoCon. Gracias a todas las voluntarias. #djangocon",
        "La keynote de hoy me dio ganas de contribuir a Django. #DjangoCon",
    ],
    "ja": [
        "非同期ビューの発表、とても勉強になりました！ #DjangoCon #Python",
        "DjangoConの廊下トラックが最高です #djangocon #パイソン",
        "初めての英語での質問、緊張したけど優しく答えてくれました。 #DjangoCon",
    ],
    "nl": [
        "Mooie talk over full-text search in Postgres, veel geleerd. #DjangoCon #python",
        "Stroopwafels meegenomen voor de sprinttafel. Graag gedaan. #DjangoCon",
    ],
    "it": [
        "Che bel talk sui test con pytest! #DjangoCon #Python",
        "Il caffè qui è quasi italiano. Quasi. #DjangoCon",
    ],
    "uk": [
        "Чудова доповідь про типізацію в Django! #DjangoCon #Python",
        "Перший раз на DjangoCon, і всі такі привітні. #DjangoCon",
    ],
}
ORGANISERS = [
    "Good morning! Doors are open, badges at the front desk, coffee on the first floor. #DjangoCon",
    "Lunch is served in the atrium. Dietary labels are on every tray. #DjangoCon",
    "Lightning talk sign-up sheet is at the registration desk, 12 slots left. #DjangoCon",
    "Lost and found: one blue hoodie and a very nice fountain pen. Ask at the desk. #DjangoCon",
    "Sprints start tomorrow at 9:00 in Rooms B and C. Everyone is welcome, no experience needed. #DjangoCon",
]
PYWEEKLY = [
    "This week: Django 5.2 LTS tips, a new pytest plugin, and a guide to `uv`. #Python",
    "Reading list from #DjangoCon so far: slides on caching, migrations and typing, collected in one thread. #Python",
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
