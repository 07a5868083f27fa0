"""crowdwall's own exceptions: one base class, so callers can catch everything of ours at once."""

from __future__ import annotations


class CrowdwallError(Exception):
    """Base class of every error crowdwall raises on purpose."""


class InvalidPost(CrowdwallError):
    """A post from a source cannot be stored (malformed, missing fields, too big, bad date).

    ``reason`` is a short machine-friendly phrase used in logs and counters; the message may add
    detail. The pipeline logs it and carries on with the rest of the batch.
    """

    def __init__(self, reason: str, detail: str = "", *, external_id: str = "") -> None:
        self.reason = reason
        self.detail = detail
        self.external_id = external_id
        message = reason if not detail else f"{reason}: {detail}"
        super().__init__(message)


class SourceError(CrowdwallError):
    """A source adapter failed (bad config, unreadable data, remote refused)."""


class SourceDisconnected(SourceError):
    """A network source lost its connection; the reconnect helper retries after a backoff."""


class PublisherError(CrowdwallError):
    """The configured publisher cannot be loaded."""


class JobError(CrowdwallError):
    """A maintenance job cannot run or go on (bad options, rules changed under a running job)."""
