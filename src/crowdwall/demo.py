"""The demo wall ``make demo`` shows: #djangocon and #python from the bundled replay posts."""

from __future__ import annotations

from django.db import transaction

from crowdwall.models import Source, Wall

DEMO_SLUG = "djangocon"


@transaction.atomic
def ensure_demo_wall(rate: float = 2.0) -> tuple[Wall, bool]:
    """Create the demo wall and its looping replay source unless they exist; (wall, created)."""
    wall, created = Wall.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "DjangoCon live wall", "hashtags": ["djangocon", "python"]},
    )
    Source.objects.get_or_create(
        wall=wall,
        name="replay",
        defaults={"kind": "replay", "config": {"rate": rate, "loop": True}},
    )
    return wall, created
