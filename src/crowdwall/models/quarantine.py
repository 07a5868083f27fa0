"""Posts that could not be stored, kept aside with why, until they are replayed or discarded."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from crowdwall.models.walls import Source

REASON_LENGTH = 1000


class QuarantinedPost(models.Model):
    """One item of a source that failed to store although it passed validation (a database
    error of its own): the rest of its chunk was stored without it and the source went on.

    ``payload`` is the item in crowdwall's JSON format as the source's adapter delivered it,
    as ASCII JSON text: escapes keep it storable whatever it holds (NUL, lone surrogates).
    ``reason`` is the last failure (exception class and message); ``attempts`` counts them.
    ``crowdwall.ingest.quarantine`` writes and replays these rows.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="quarantined")
    external_id = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=REASON_LENGTH)
    payload = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    tried_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "quarantined post"

    def __str__(self) -> str:
        return f"{self.external_id or '?'} from source {self.source_id}"
