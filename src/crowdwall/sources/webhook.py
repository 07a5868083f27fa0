"""Webhook sources: posts pushed to us, signed with the source's secret. The framework-free half.

A sender POSTs crowdwall's JSON format (``crowdwall.ingest.normalize``) — one post, or
``{"posts": [...]}`` — to ``/hooks/<source id>/`` with two headers::

    X-Crowdwall-Timestamp: <seconds since the epoch, an integer>
    X-Crowdwall-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed with
                           the secret>

The timestamp is signed with the body, and a delivery whose timestamp is further than
``CROWDWALL["WEBHOOK_TOLERANCE_SECONDS"]`` from our clock is refused: a captured request cannot
be replayed later (an old edit or deletion sent again). Within the window, re-delivery is
harmless: posts are deduplicated by (source, external id), and an older version never
overwrites a newer one, so a sender may retry (re-signing with a fresh timestamp) until it sees
a 2xx. The first scheme (signature of the body alone, no timestamp) is accepted only while
``CROWDWALL["WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES"]`` is on, for senders not yet migrated.

``signature_headers`` gives a sender both headers, ``sign`` one signature value, ``verify`` checks
one in constant time, ``authenticate`` applies the whole policy (``SignatureError`` with the
HTTP status and code to answer), and ``read_payload`` turns an authenticated body into the list
of items the ingest pipeline takes. The Django view (``crowdwall.webhooks``) adds HTTP: status
codes, the size limit, storing through the pipeline.

``WebhookSource`` exists so the stream runner has an adapter for the kind: webhooks are pushed,
not pulled, so its stream ends at once without a batch (and the runner reports it finished).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from crowdwall import jsonlimits
from crowdwall.exceptions import CrowdwallError
from crowdwall.ingest.normalize import ID_LENGTH
from crowdwall.sources.base import Batch, Cursor, SourceAdapter

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "PayloadError",
    "SignatureError",
    "WebhookSource",
    "authenticate",
    "read_payload",
    "rejection",
    "sign",
    "signature_headers",
    "verify",
]

SIGNATURE_HEADER = "X-Crowdwall-Signature"
TIMESTAMP_HEADER = "X-Crowdwall-Timestamp"
_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,15}")  # whole seconds (15 digits: milliseconds get a hint)


class PayloadError(CrowdwallError):
    """A verified body that is not a post or a batch of posts; ``code`` names the problem."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class SignatureError(CrowdwallError):
    """A delivery that fails authentication: ``status`` and ``code`` are the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        super().__init__(message)


def sign(secret: str, body: bytes, timestamp: int | str | None = None) -> str:
    """The signature header value: ``"sha256=<hex digest>"`` of ``"<timestamp>." + body``, or of
    the body alone when ``timestamp`` is None (the first scheme)."""
    message = body if timestamp is None else f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Both headers a sender adds to a delivery of ``body``, timestamped ``now`` (default: now)."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, body, timestamp)}


def verify(secret: str, body: bytes, header: str, timestamp: str | None = None) -> bool:
    """Whether ``header`` is the signature of ``body`` (with ``timestamp``, if given) under
    ``secret``, compared in constant time.

    An empty secret verifies nothing: an unconfigured webhook must not accept unsigned posts.
    """
    if not secret or not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.strip().lower() != _PREFIX[:-1] or not _HEX_DIGEST.fullmatch(given.strip()):
        return False
    expected = sign(secret, body, timestamp).removeprefix(_PREFIX).encode("ascii")
    return hmac.compare_digest(expected, given.strip().lower().encode("ascii"))


def authenticate(
    secret: str,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    tolerance: float,
    allow_body_only: bool = False,
    now: float | None = None,
) -> None:
    """Accept a delivery or raise ``SignatureError`` (401: unsigned or forged; 400: a timestamp
    that is not one, or outside ``tolerance`` seconds of ``now``).

    The signature is checked before the timestamp's age, so only a genuine sender learns that
    its clock is off; a missing timestamp is accepted only with ``allow_body_only``, and then
    only with the signature of the body alone.
    """
    if not signature:
        raise SignatureError(
            401,
            "missing_signature",
            f"Sign the delivery: {TIMESTAMP_HEADER}: <unix seconds> and "
            f'{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>.',
        )
    timestamp = timestamp.strip()
    if not timestamp:
        if not allow_body_only:
            raise SignatureError(
                401,
                "missing_timestamp",
                f"Send {TIMESTAMP_HEADER}: <unix seconds> and sign "
                f'"<timestamp>." + body; body-only signatures are not accepted.',
            )
        if not verify(secret, body, signature):
            raise SignatureError(401, "bad_signature", "The signature does not match the body.")
        return
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError(
            400, "bad_timestamp", f"{TIMESTAMP_HEADER} must be whole seconds since the epoch."
        )
    if not verify(secret, body, signature, timestamp):
        raise SignatureError(
            401, "bad_signature", 'The signature does not match "<timestamp>." + body.'
        )
    age = (time.time() if now is None else now) - int(timestamp)
    if age > tolerance:
        raise SignatureError(
            400,
            "stale_timestamp",
            f"The delivery was signed {age:.0f} s ago (more than {tolerance:g} s): sign it again.",
        )
    if -age > tolerance:
        raise SignatureError(
            400,
            "future_timestamp",
            f"The timestamp is {-age:.0f} s ahead of our clock (more than {tolerance:g} s): "
            "check the sender's clock, and that it sends seconds, not milliseconds.",
        )


def read_payload(body: bytes) -> list[Any]:
    """The items of a verified body: ``[post]`` for one post, the list of ``{"posts": [...]}``.

    ``PayloadError`` for a body that is not UTF-8 JSON (``bad_json``: including integers past
    Python's 4,300-digit limit) or nests arrays and objects deeper than
    ``crowdwall.jsonlimits.MAX_DEPTH`` levels (``too_deep``). Only the envelope is checked
    here; each item is validated by the pipeline, which rejects
    a malformed post with a logged reason and stores the others.
    """
    try:
        data = jsonlimits.loads(body)  # nesting bounded: no RecursionError, no digit-limit error
    except jsonlimits.BadJson as exc:
        raise PayloadError(exc.code, f"The body is not UTF-8 JSON we accept: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(
            "invalid_payload", 'Send one post as a JSON object, or {"posts": [...]}.'
        )
    if "posts" not in data:
        return [data]
    posts = data["posts"]
    if not isinstance(posts, list):
        raise PayloadError("invalid_payload", "'posts' must be a list of posts.")
    return posts


# Why a post of a delivery was rejected, as the sender is told: a stable code and a message
# written for senders, by the pipeline's reason (``crowdwall.exceptions.InvalidPost``). The
# pipeline's own detail (exception text, parser messages, tracebacks) goes to the log only.
REJECTIONS: dict[str, tuple[str, str]] = {
    "not JSON": ("not_json", "The post is not valid JSON."),
    "not an object": ("not_an_object", "Each post must be a JSON object."),
    "missing field": (
        "missing_field",
        "A required field is missing: every post needs 'id', 'created_at' and an 'author' "
        "with an 'id' and a 'handle'; a deletion needs 'id'.",
    ),
    "wrong type": ("wrong_type", "A field has the wrong JSON type (see the post format)."),
    "bad action": ("bad_action", "'action' must be one of create, update, upsert, delete."),
    "bad date": (
        "bad_date",
        "'created_at' and 'edited_at' must be ISO 8601 date-times, not before 2000.",
    ),
    "id too long": ("id_too_long", f"'id' is longer than {ID_LENGTH} characters."),
    "author id too long": (
        "author_id_too_long",
        f"'author.id' is longer than {ID_LENGTH} characters.",
    ),
    "too large": ("too_large", "The post's HTML, text and content warning are too large."),
    "empty": ("empty", "The post has no text, media, card, poll, quote or content warning."),
}
# Any other reason (an unexpected error, a check added later): a code that promises nothing.
OTHER_REJECTION = ("invalid_post", "The post could not be stored; the server logged why.")


def rejection(reason: str) -> tuple[str, str]:
    """``(code, message)`` a sender is told for a post rejected for ``reason``."""
    return REJECTIONS.get(reason, OTHER_REJECTION)


class WebhookSource(SourceAdapter):
    """The runner's view of a webhook: nothing to pull (posts arrive through the view)."""

    kind = "webhook"

    async def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        return
        yield  # pragma: no cover - makes this an async generator
