"""Django admin for schedules: import a Pretalx JSON or iCalendar file (upload or address) and
edit each talk's rules (hashtags, keywords, filters) inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from crowdwall.admin.fields import LinesField
from crowdwall.models import TALK_FILTERS, Schedule, Talk
from crowdwall.schedule.importer import MAX_BYTES, import_schedule, read_location, schedule_changed
from crowdwall.schedule.parse import ScheduleError, check_rules, parse_schedule


class ScheduleForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, help_text="Pretalx schedule.json or an .ics file: imported on save."
    )
    address = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Or fetch it from here, e.g. https://pretalx.com/<event>/schedule/export/"
        "schedule.json (imported on save; again on each save with an address).",
    )

    class Meta:
        model = Schedule
        fields = ["wall", "talk_rules"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload, address = data.get("upload"), data.get("address")
        if upload and address:
            raise forms.ValidationError("Upload a file or give an address, not both.")
        self.schedule_data: bytes | None = None
        self.schedule_source = ""
        try:
            if upload:
                if upload.size > MAX_BYTES:
                    raise ScheduleError(f"larger than {MAX_BYTES // 2**20} MB.")
                self.schedule_data, self.schedule_source = upload.read(), upload.name
            elif address:
                self.schedule_data, self.schedule_source = read_location(address), address
            if self.schedule_data is not None:
                parse_schedule(self.schedule_data)  # report a bad file here, on the form
        except ScheduleError as exc:
            raise forms.ValidationError(f"Schedule not imported: {exc}") from exc
        return data


class TalkForm(forms.ModelForm):
    hashtags = LinesField(help_text="While the talk runs, the wall also shows these tags.")
    keywords = LinesField(keep_commas=True, help_text="… and posts with these keywords.")
    filters = forms.MultipleChoiceField(
        choices=[(f, f"hide {f}") for f in TALK_FILTERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Talk
        fields = ["hashtags", "keywords", "filters"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            tags, words, hides = check_rules(
                data.get("hashtags", []), data.get("keywords", []), data.get("filters", []), "talk"
            )
        except ScheduleError as exc:
            raise forms.ValidationError(str(exc)) from exc
        data["hashtags"], data["keywords"], data["filters"] = list(tags), list(words), list(hides)  # type: ignore[arg-type]
        return data


class TalkInline(admin.TabularInline):
    model = Talk
    form = TalkForm
    fields = ["start", "end", "room", "title", "hashtags", "keywords", "filters"]
    readonly_fields = ["start", "end", "room", "title"]
    extra = 0
    can_delete = False  # the schedule file decides which talks exist

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ["wall", "title", "time_zone", "talk_rules", "imported_at"]
    readonly_fields = ["title", "time_zone", "source", "imported_at"]
    inlines = [TalkInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # One schedule per wall: moving it to another wall would be a new import.
        return [*self.readonly_fields, "wall"] if obj is not None else list(self.readonly_fields)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        schedule = form.instance
        if form.schedule_data is not None:
            try:
                result = import_schedule(
                    schedule.wall, form.schedule_data, source=form.schedule_source
                )
            except ScheduleError as exc:  # checked in clean(); the file cannot change since
                messages.error(request, f"Schedule not imported: {exc}")
                return
            messages.success(request, f"Schedule imported: {result}.")
        else:
            schedule_changed(schedule.wall)
