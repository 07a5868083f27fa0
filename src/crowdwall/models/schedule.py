"""An event's schedule on a wall: its talks (room, time, speakers) and each talk's own rules.

Imported from a Pretalx JSON export or an iCalendar file (``crowdwall.schedule``); a re-import
updates the talks in place by their id (Pretalx guid, iCalendar UID).
"""

from __future__ import annotations

from django.db import models

from crowdwall.models.walls import Wall
from crowdwall.schedule.parse import TALK_FILTERS


class Schedule(models.Model):
    """The schedule of one wall (import it again to each wall that shows the same event)."""

    wall = models.OneToOneField(Wall, on_delete=models.CASCADE, related_name="schedule")
    title = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="The file name or URL last imported."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="The event's time zone: times are shown in it."
    )
    talk_rules = models.BooleanField(
        default=True,
        help_text=(
            "While a talk runs, the wall also matches the talk's hashtags and keywords and "
            "applies its filters."
        ),
    )
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title or f"Schedule of {self.wall}"


class Talk(models.Model):
    """One slot of the schedule: a talk in a room from ``start`` to ``end`` (aware times)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="talks")
    uid = models.CharField(max_length=255, help_text="Pretalx guid or iCalendar UID.")
    title = models.CharField(max_length=500)
    room = models.CharField(max_length=200, blank=True)
    speakers = models.JSONField(default=list, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    url = models.URLField(max_length=500, blank=True)
    hashtags = models.JSONField(default=list, blank=True, help_text="Without '#'.")
    keywords = models.JSONField(default=list, blank=True)
    filters = models.JSONField(
        default=list, blank=True, help_text=f"Any of: {', '.join(TALK_FILTERS)}."
    )

    class Meta:
        ordering = ["start", "room", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "uid"], name="crowdwall_talk_uid"),
        ]
        indexes = [
            models.Index(fields=["end", "start"], name="crowdwall_talk_window"),
            models.Index(fields=["schedule", "start"], name="crowdwall_talk_schedule"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.room})" if self.room else self.title

    @property
    def has_rules(self) -> bool:
        """Whether the talk adds anything to its wall's matching while it runs."""
        return bool(self.hashtags or self.keywords or self.filters)
