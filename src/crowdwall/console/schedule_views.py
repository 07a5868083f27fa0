"""The console's Schedule page of a wall: import a Pretalx JSON or iCalendar schedule from a web
address or an uploaded file, and see what the wall's schedule holds now.

Organisers of the wall only. The importer is ``crowdwall.schedule.importer``, as in the admin,
the command and the API: an address is fetched through the outbound guard (public addresses only,
unless ``CROWDWALL["SOURCE_TEST_ALLOWED_NETWORKS"]`` opens more, as for "test this source"), an
upload is refused above the importer's size limit, and a bad file changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from crowdwall.console.access import organiser_required
from crowdwall.console.views import organised_wall
from crowdwall.models import ModerationAction, Schedule, Talk, Wall
from crowdwall.moderation import service
from crowdwall.schedule.importer import MAX_BYTES, import_schedule, read_location
from crowdwall.schedule.parse import ScheduleError

MAX_MB = MAX_BYTES // 2**20


class ImportForm(forms.Form):
    """Where the schedule comes from: a web address or a file (one of the two)."""

    address = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=500,
        label="Web address",
        help_text="Pretalx: https://pretalx.com/<event>/schedule/export/schedule.json, "
        "or any .ics address.",
    )
    upload = forms.FileField(
        required=False,
        label="Or a file",
        help_text=f"Pretalx schedule.json or an .ics file, up to {MAX_MB} MB.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        address, upload = data.get("address"), data.get("upload")
        if self.errors:
            return data
        if bool(address) == bool(upload):
            raise ValidationError("Give a web address or a file (one of them).")
        if address and not address.startswith(("https://", "http://")):
            # read_location takes anything else for a path on this server.
            self.add_error("address", "Only http and https addresses can be fetched.")
        if upload and upload.size > MAX_BYTES:
            self.add_error("upload", f"The file is larger than {MAX_MB} MB.")
        return data

    def read(self) -> tuple[bytes, str]:
        """The schedule's bytes and where they came from; ``ScheduleError`` if unreadable."""
        address, upload = self.cleaned_data["address"], self.cleaned_data["upload"]
        if upload:
            return upload.read(MAX_BYTES + 1), upload.name
        return read_location(address), address


def summary(wall: Wall) -> dict[str, Any] | None:
    """The wall's schedule now: its title, source, talk count, rooms and days (None if none)."""
    schedule = Schedule.objects.filter(wall=wall).first()
    if schedule is None:
        return None
    talks = Talk.objects.filter(schedule=schedule)
    span = talks.aggregate(first=Min("start"), last=Max("end"), count=Count("id"))
    rooms = list(
        talks.values("room")
        .annotate(talks=Count("id"))
        .order_by("room")
        .values_list("room", "talks")
    )
    return {"schedule": schedule, "rooms": rooms, **span}


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def schedule_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The wall's schedule and the import form (a POST imports; the result is shown)."""
    wall = organised_wall(request, slug)
    result = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                data, origin = form.read()
                with transaction.atomic():
                    result = import_schedule(wall, data, source=origin)
                    detail = {"schedule": origin[:200], "imported": str(result)}
                    service.record(
                        request.user, ModerationAction.CONFIGURE, wall=wall, detail=detail
                    )
            except ScheduleError as exc:  # nothing was changed: the import is one transaction
                form.add_error(None, f"Schedule not imported: {exc}")
        if not form.is_valid():
            status = 400
    else:
        form = ImportForm()
    context = {"wall": wall, "form": form, "result": result, "now": summary(wall)}
    return render(request, "crowdwall/console/schedule.html", context, status=status)
