"""The schedule admin: an uploaded file is checked on the form and imported on save; talk
rules edited inline are normalised and checked like a wall's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, modify_settings

from crowdwall.models import Schedule, Talk, Wall
from tests.crowdwall.schedule.conftest import sample

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schedule_admin() -> Iterator[Any]:
    """crowdwall.schedule.admin, with django.contrib.admin installed (the test settings leave
    it out)."""
    with modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"}):
        from crowdwall.schedule import admin

        yield admin


def _form(admin: Any, wall: Wall, name: str, data: bytes) -> Any:
    upload = SimpleUploadedFile(name, data)
    return admin.ScheduleForm(data={"wall": wall.pk, "talk_rules": "on"}, files={"upload": upload})


def test_an_uploaded_schedule_is_imported_on_save(
    schedule_admin: Any, wall: Wall, django_capture_on_commit_callbacks: Any
) -> None:
    form = _form(schedule_admin, wall, "schedule.ics", sample("schedule.ics"))
    assert form.is_valid(), form.errors
    form.instance = form.save(commit=False)  # as ModelAdmin.save_form + save_model
    form.instance.save()
    request = RequestFactory().post("/admin/")
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = schedule_admin.ScheduleAdmin(Schedule, schedule_admin.admin.site)
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.save_related(request, form, [], change=False)
    assert Talk.objects.filter(schedule__wall=wall).count() == 3
    assert [str(m) for m in get_messages(request)] == [
        "Schedule imported: 3 talk(s) added, 0 updated, 0 removed, 0 unchanged."
    ]


def test_a_bad_upload_is_a_form_error(schedule_admin: Any, wall: Wall) -> None:
    form = _form(schedule_admin, wall, "schedule.json", b'{"schedule": {}}')
    assert not form.is_valid()
    assert "Schedule not imported: Not a Pretalx schedule" in form.errors["__all__"][0]


def test_talk_rules_are_checked(schedule_admin: Any, scheduled: Schedule) -> None:
    talk = Talk.objects.get(title="Opening")
    form = schedule_admin.TalkForm(
        instance=talk, data={"hashtags": "#Welcome, PyCon", "keywords": "", "filters": ["bots"]}
    )
    assert form.is_valid(), form.errors
    form.save()
    talk.refresh_from_db()
    assert (talk.hashtags, talk.filters) == (["welcome", "pycon"], ["bots"])
    bad = schedule_admin.TalkForm(instance=talk, data={"keywords": '"open', "hashtags": ""})
    assert not bad.is_valid()
    assert "keyword" in str(bad.errors)
