"""Webhook sources: posts pushed to us, signed with the source's secret. The framework-free half.

A sender POSTs crowdwall's JSON format (``crowdwall.ingest.normalize``) — one post, or
``{"posts": [...]}`` — to ``/hooks/<source id>/`` with the header::

    X-Crowdwall-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>

``sign`` computes that header value (senders and tests use it), ``verify`` checks one in
constant time, ``read_payload`` turns a verified body into the list of items the ingest
pipeline takes. The Django view (``crowdwall.webhooks``) adds HTTP: status codes, the size
limit, storing through the pipeline. Re-delivery is harmless: posts are deduplicated by
(source, external id), so a sender may retry until it sees a 2xx.

``WebhookSource`` exists so the stream runner has an adapter for the kind: webhooks are pushed,
not pulled, so its stream ends at once without a batch (and the runner reports it finished).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from crowdwall.exceptions import CrowdwallError
from crowdwall.sources.base import Batch, Cursor, SourceAdapter

__all__ = ["SIGNATURE_HEADER", "PayloadError", "WebhookSource", "read_payload", "sign", "verify"]

SIGNATURE_HEADER = "X-Crowdwall-Signature"
_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class PayloadError(CrowdwallError):
    """A verified body that is not a post or a batch of posts; ``code`` names the problem."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``"sha256=<hex digest>"``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant-time compare).

    An empty secret verifies nothing: an unconfigured webhook must not accept unsigned posts.
    """
    if not secret or not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.strip().lower() != _PREFIX[:-1] or not _HEX_DIGEST.fullmatch(given.strip()):
        return False
    expected = sign(secret, body).removeprefix(_PREFIX).encode("ascii")
    return hmac.compare_digest(expected, given.strip().lower().encode("ascii"))


def read_payload(body: bytes) -> list[Any]:
    """The items of a verified body: ``[post]`` for one post, the list of ``{"posts": [...]}``.

    Only the envelope is checked here; each item is validated by the pipeline, which rejects
    a malformed post with a logged reason and stores the others.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("bad_json", f"The body is not UTF-8 JSON: {exc}") from None
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


class WebhookSource(SourceAdapter):
    """The runner's view of a webhook: nothing to pull (posts arrive through the view)."""

    kind = "webhook"

    async def stream(self, cursor: Cursor) -> AsyncIterator[Batch]:
        return
        yield  # pragma: no cover - makes this an async generator
