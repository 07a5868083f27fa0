"""``manage.py crowdwall demo``: the wall make demo shows, created once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from crowdwall.models import Source, Wall

pytestmark = pytest.mark.django_db


def test_demo_wall_is_created_once_with_a_looping_replay_source():
    out = io.StringIO()
    call_command("crowdwall", "demo", stdout=out)
    call_command("crowdwall", "demo", stdout=out)
    wall = Wall.objects.get(slug="djangocon")
    (source,) = Source.objects.filter(wall=wall)
    assert source.kind == "replay" and source.config["loop"] is True
    assert "created" in out.getvalue() and "already there" in out.getvalue()
