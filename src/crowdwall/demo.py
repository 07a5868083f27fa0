"""What ``make demo`` shows: two walls fed by one replay of the bundled sample posts, and a
staff account to moderate them.

- ``djangocon``, open: posts appear at once (#djangocon, #python).
- ``djangocon-moderated``, pre-approve: the same stream waits in its moderation queue.

The replay source (scope ``any``, so its posts reach both walls) plays the sample day at its
recorded pace, sped up (keynote bursts, quiet breaks), loops, and deletes each post again
``KEEP`` lines later, so the walls and the moderation queue stay bounded however long the demo
runs. The erased rows those deletions leave are removed as the replay goes (every
``batch_size`` deletions: ``crowdwall.sources.replay``), and by each ``crowdwall demo`` for
what a stopped demo left. Only the ``crowdwall demo`` command calls this module: no setting
creates these walls or the account.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from crowdwall.caching import purge_walls
from crowdwall.ingest.prune import prune_deleted
from crowdwall.ingest.write import ingest
from crowdwall.models import ModerationMode, Source, Wall
from crowdwall.sources import adapter_for
from crowdwall.sources.base import Batch, Cursor

DEMO_SLUG = "djangocon"
MODERATED_SLUG = "djangocon-moderated"
STAFF_USERNAME = "demo-moderator"
SPEED = 5.0  # the sample day's recorded gaps, five times faster: bursts of ~1 post/s
KEEP = 120  # replay lines kept before each post is deleted again (a lap is ~150 lines)
PREFILL = 24  # lines replayed at once by a new demo: it opens on walls with posts


@dataclass(frozen=True)
class Demo:
    """What ``ensure_demo`` set up: the walls, whether the first one is new, and the login."""

    walls: list[Wall]
    created: bool
    username: str
    password: str
    prefilled: int


def replay_config(*, site_url: str, rate: float | None = None, speed: float = SPEED) -> dict:
    """The demo replay's config: the recorded pace at ``speed`` (or a steady ``rate``)."""
    pace = {"rate": rate} if rate is not None else {"pacing": "recorded", "speed": speed}
    return {**pace, "loop": True, "keep": KEEP, "site_url": site_url}


@transaction.atomic
def ensure_demo(
    *, site_url: str = "http://127.0.0.1:8000", rate: float | None = None, speed: float = SPEED
) -> Demo:
    """Create or refresh the demo walls, their replay source and the staff account.

    Idempotent: the walls and posts stay; the source's config follows the arguments (the
    port may change between runs) and the staff account gets a new random password, printed
    by the command (only a password nobody stored can be printed again)."""
    wall, created = Wall.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "DjangoCon live wall", "hashtags": ["djangocon", "python"]},
    )
    moderated, _ = Wall.objects.get_or_create(
        slug=MODERATED_SLUG,
        defaults={
            "name": "DjangoCon (moderated)",
            "hashtags": ["djangocon", "python"],
            "moderation": ModerationMode.PRE_APPROVE,
            "info_text": "Every post waits for a moderator here.",
        },
    )
    source, _ = Source.objects.get_or_create(wall=wall, name="replay", defaults={"kind": "replay"})
    source.kind = "replay"
    source.scope = "any"  # the moderated wall takes the same stream, by its hashtags
    source.config = replay_config(site_url=site_url, rate=rate, speed=speed)
    source.full_clean()
    source.save()
    prune_deleted(source)
    prefilled = prefill(source) if not source.cursor else 0
    # Cached pages (a shared cache outlives the server) show the walls as they are now.
    transaction.on_commit(lambda: purge_walls([DEMO_SLUG, MODERATED_SLUG], wall_list=True))
    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=STAFF_USERNAME)
    # A superuser, so the admin shows everything too; demo only (see the module docstring).
    user.is_staff, user.is_superuser, user.is_active = True, True, True
    user.set_password(password)
    user.save()
    return Demo([wall, moderated], created, STAFF_USERNAME, password, prefilled)


def prefill(source: Source, count: int = PREFILL) -> int:
    """Store the replay's first ``count`` lines at once (its cursor moves past them, so the
    stream goes on from there); the number of posts created."""

    async def first_lines() -> list[Batch]:
        adapter = adapter_for(source, limit=count)
        return [batch async for batch in adapter.backfill(Cursor(), limit=count)]

    created = 0
    for batch in asyncio.run(first_lines()):
        cursor = batch.cursor.value if batch.cursor else None
        created += ingest(source, batch.posts, cursor=cursor).created
    return created
