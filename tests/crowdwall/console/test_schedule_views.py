"""The console's Schedule page: import from an uploaded file or from a web address (a real local
HTTP server, allowed by the tests' SOURCE_TEST_ALLOWED_NETWORKS), the result and summary shown,
bad files and refused addresses explained with nothing changed, organisers only."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crowdwall.console import schedule_views
from crowdwall.models import ModerationLog, Role, Schedule, Talk, WallRole
from tests.crowdwall.console.conftest import CONSOLE
from tests.crowdwall.schedule.conftest import DATA, sample
from tests.fixtures.servers import Server, run_server

pytestmark = pytest.mark.django_db

PAGE = CONSOLE + "walls/djangocon/schedule/"


@pytest.fixture(scope="module")
def file_server() -> Iterator[Server]:
    """Python's HTTP server on loopback, serving the schedule tests' sample files."""
    yield from run_server(
        "console-schedule-files",
        lambda port, workdir: [
            sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
            "--directory", str(DATA),
        ],
    )  # fmt: skip


def upload(name: str, data: bytes) -> dict[str, SimpleUploadedFile]:
    return {"upload": SimpleUploadedFile(name, data)}


def test_an_uploaded_pretalx_file_is_imported_and_summarised(
    organiser, wall, django_capture_on_commit_callbacks
):
    empty = organiser.get(PAGE)
    assert empty.status_code == 200 and "No schedule yet" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser.post(PAGE, upload("schedule.json", sample("pretalx-schedule.json")))
    assert response.status_code == 200
    html = response.content.decode()
    talks = Talk.objects.filter(schedule__wall=wall)
    assert talks.count() > 0
    assert f"Schedule imported: {talks.count()} talk(s) added, 0 updated" in html
    for room in set(talks.values_list("room", flat=True)):
        assert f'data-room="{room}"' in html
    assert Schedule.objects.get(wall=wall).source == "schedule.json"
    log = ModerationLog.objects.get()
    assert log.wall == wall and log.detail["schedule"] == "schedule.json"


def test_a_schedule_is_fetched_from_an_address(organiser, wall, file_server):
    missing = organiser.post(PAGE, {"address": f"http://{file_server.address}/gone.json"})
    assert missing.status_code == 400
    assert "answered HTTP 404" in missing.content.decode()
    assert not Schedule.objects.exists()
    address = f"http://{file_server.address}/schedule.ics"
    response = organiser.post(PAGE, {"address": address})
    assert response.status_code == 200, response.content.decode()
    assert "Schedule imported:" in response.content.decode()
    assert Schedule.objects.get(wall=wall).source == address
    assert Talk.objects.filter(schedule__wall=wall).exists()


def test_the_outbound_guard_refuses_the_servers_own_network(organiser, wall, settings, file_server):
    settings.CROWDWALL = {**settings.CROWDWALL, "SOURCE_TEST_ALLOWED_NETWORKS": []}
    response = organiser.post(PAGE, {"address": f"http://{file_server.address}/schedule.ics"})
    assert response.status_code == 400
    assert "not reachable from this server" in response.content.decode()
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (upload("notes.txt", b"hello"), "Schedule not imported: Not a schedule"),
        (upload("s.json", b'{"schedule": {}}'), "Schedule not imported"),
        (upload("empty.ics", b""), "The submitted file is empty"),
        ({"address": "ftp://example.org/schedule.json"}, "Only http and https addresses"),
        ({"address": "/etc/passwd"}, "Enter a valid URL"),
        ({}, "Give a web address or a file"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(organiser, wall, data, message):
    Talk.objects.create(
        schedule=Schedule.objects.create(wall=wall, title="Day one"),
        uid="keep",
        title="Keep me",
        room="Hall",
        start="2025-05-14T09:00:00Z",
        end="2025-05-14T10:00:00Z",
    )
    response = organiser.post(PAGE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert list(Talk.objects.values_list("uid", flat=True)) == ["keep"]
    assert "Day one" in html  # the current schedule still shown
    assert not ModerationLog.objects.exists()


def test_a_file_over_the_limit_is_refused(organiser, wall, monkeypatch):
    monkeypatch.setattr(schedule_views, "MAX_BYTES", 100)
    response = organiser.post(PAGE, upload("schedule.json", sample("pretalx-schedule.json")))
    assert response.status_code == 400
    assert "The file is larger than" in response.content.decode()
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.VIEWER])
def test_moderators_and_viewers_may_not_import(client, django_user_model, wall, role):
    user = django_user_model.objects.create_user("mo")
    WallRole.objects.create(wall=wall, user=user, role=role)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    refused = client.post(PAGE, upload("schedule.json", sample("pretalx-schedule.json")))
    assert refused.status_code == 403
    assert not Schedule.objects.exists()
    WallRole.objects.filter(user=user).update(role=Role.ORGANISER)
    assert client.get(PAGE).status_code == 200
