"""Every kind of caller for the role tables (``test_access``, ``api/test_roles``), and the runner
that asks one endpoint as each of them, each call rolled back so all start from the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client, override_settings

from crowdwall.models import Role, Wall, WallRole

# What each caller may do on the "djangocon" wall: "site" is the site-wide things (creating
# walls, the global never-show list), for full access only.
MAY = {
    "superuser": {"view", "moderate", "organise", "site"},
    "staff": {"view", "moderate", "organise", "site"},  # staff without roles: as before roles
    "staff_strict": set(),  # the same, with PER_WALL_ROLES on
    "staff_elsewhere": set(),  # staff with a role on another wall only
    "organiser": {"view", "moderate", "organise"},
    "moderator": {"view", "moderate"},
    "group_moderator": {"view", "moderate"},  # through a group's role
    "viewer": {"view"},
    "organiser_elsewhere": set(),  # organiser of another wall
    "member": set(),  # logged in, no staff, no role
}
CALLERS = list(MAY)


@dataclass
class Caller:
    name: str
    user: Any
    settings: dict[str, Any] = field(default_factory=dict)

    def client(self, **defaults: Any) -> Client:
        client = Client(**defaults)
        client.force_login(self.user)
        return client


@pytest.fixture
def callers(wall: Wall, django_user_model: Any) -> dict[str, Caller]:
    """One user per kind of caller (``MAY``), with their roles on ``wall`` or another wall."""
    other = Wall.objects.create(name="PyCon", slug="pycon")
    make = django_user_model.objects.create_user
    users = {
        "superuser": django_user_model.objects.create_superuser("root"),
        "staff": make("staff", is_staff=True),
        "staff_strict": make("strict", is_staff=True),
        "staff_elsewhere": make("elsewhere", is_staff=True),
        "organiser": make("org"),
        "moderator": make("mod"),
        "group_moderator": make("grouped"),
        "viewer": make("view"),
        "organiser_elsewhere": make("otherorg"),
        "member": make("member"),
    }
    WallRole.objects.create(wall=wall, user=users["organiser"], role=Role.ORGANISER)
    WallRole.objects.create(wall=wall, user=users["moderator"], role=Role.MODERATOR)
    WallRole.objects.create(wall=wall, user=users["viewer"], role=Role.VIEWER)
    group = Group.objects.create(name="volunteers")
    users["group_moderator"].groups.add(group)
    WallRole.objects.create(wall=wall, group=group, role=Role.MODERATOR)
    WallRole.objects.create(wall=other, user=users["organiser_elsewhere"], role=Role.ORGANISER)
    WallRole.objects.create(wall=other, user=users["staff_elsewhere"], role=Role.MODERATOR)
    strict = {"CROWDWALL": {**getattr(settings, "CROWDWALL", {}), "PER_WALL_ROLES": True}}
    return {
        name: Caller(name, user, strict if name == "staff_strict" else {})
        for name, user in users.items()
    }


def statuses(
    callers: dict[str, Caller], ask: Callable[[Client], Any], **client_defaults: Any
) -> dict[str, int]:
    """The status each caller gets from ``ask(client)``; every call is rolled back."""
    answers = {}
    for name, caller in callers.items():
        with override_settings(**caller.settings), transaction.atomic():
            answers[name] = ask(caller.client(**client_defaults)).status_code
            transaction.set_rollback(True)
    return answers


def expected(needs: str, ok: int, refused: int = 403) -> dict[str, int]:
    """The table ``statuses`` should give for an endpoint needing ``needs``."""
    return {name: ok if needs in MAY[name] else refused for name in CALLERS}
