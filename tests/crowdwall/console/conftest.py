"""Logged-in clients for the console: an organiser (active staff) and a plain member."""

from __future__ import annotations

import pytest
from django.test import Client

CONSOLE = "/walls/console/"


@pytest.fixture
def organiser(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("org", is_staff=True))
    return client


@pytest.fixture
def member(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("joe"))
    return client
