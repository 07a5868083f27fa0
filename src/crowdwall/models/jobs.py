"""The completion log of clustered maintenance jobs (``crowdwall.jobs``).

A ``JobRun`` is one run of one job with one set of parameters (its ``fingerprint``), with the
plan every node slices (chunk size and the non-empty buckets). A ``JobChunk`` row says "this
chunk is done": it is written in the same transaction as the chunk's work, so a chunk is either
done and logged or neither, whenever the process dies. A re-run skips logged chunks.
"""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One run of a job; a re-run with the same fingerprint resumes it."""

    job = models.CharField(max_length=50)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the job's parameters.")
    params = models.JSONField(default=dict, blank=True)
    chunk_size = models.PositiveIntegerField()
    buckets = models.JSONField(default=list, help_text="Planned chunks: [b*size, (b+1)*size).")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "maintenance job run"
        constraints = [
            models.UniqueConstraint(fields=["job", "fingerprint"], name="crowdwall_jobrun_once")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.fingerprint[:12]}"


class JobChunk(models.Model):
    """A finished chunk of a run: primary keys ``start <= pk < end`` of the job's table."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    stats = models.JSONField(default=dict, blank=True)  # what the chunk changed, for reports
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "maintenance job chunk"
        constraints = [
            models.UniqueConstraint(fields=["run", "start"], name="crowdwall_jobchunk_once")
        ]

    def __str__(self) -> str:
        return f"[{self.start}, {self.end}) of {self.run_id}"
