"""The webhook endpoint: ``POST /hooks/<source id>/`` stores signed posts through the pipeline.

The HTTP layer over ``crowdwall.sources.webhook`` (signatures, payload format). In order:

- **405** for anything but POST; **404** unless the id names an enabled webhook source with a
  secret (the same answer for all three, so the endpoint says nothing about other sources);
- **413** when the body is bigger than ``CROWDWALL["WEBHOOK_MAX_BYTES"]`` (checked on
  ``Content-Length`` before reading, and again while reading; under ASGI, Django reads the
  body before any view runs, so ``crowdwall.webhook_asgi.WebhookBodyLimit`` must wrap the
  ``http`` application to refuse it before reading, as ``example/example/asgi.py`` does: there
  the 413 comes before the 405 and 404);
- **401** without an ``X-Crowdwall-Signature`` header, without an ``X-Crowdwall-Timestamp``
  (unless ``CROWDWALL["WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES"]``), or when the signature does not
  match: the body is never parsed before its signature checks out. CSRF does not apply (no
  cookies are involved; the signature is the authentication);
- **400** for a timestamp that is not whole seconds, or is further than
  ``CROWDWALL["WEBHOOK_TOLERANCE_SECONDS"]`` from our clock (a replayed or delayed delivery:
  ``stale_timestamp``/``future_timestamp``), and for a body that is not JSON (``bad_json``,
  integers past Python's 4,300 digits included), nests arrays and objects deeper than
  ``crowdwall.jsonlimits.MAX_DEPTH`` (``too_deep``), is not a post or ``{"posts": [...]}``,
  or whose posts were all rejected;
- **200** otherwise, with counts. Posts go through ``crowdwall.ingest.write.ingest`` like
  the runner's batches (same validation, sanitizing, matching, moderation, events). A
  malformed post in a batch is logged and listed under ``rejected`` with a stable ``reason``
  code and a ``detail`` written for senders (``sources.webhook.REJECTIONS``; never exception
  text, which stays in the log); the others are stored.
  A re-delivered post is counted under ``duplicates`` and changes nothing. Control characters
  and lone surrogates (``"\\ud800"``) in a post are cleaned, not refused
  (``crowdwall.ingest.storable``); a valid post the database still fails on is counted under
  ``quarantined`` (kept for a replay, ``crowdwall.ingest.quarantine``), never a 500.

Errors are ``{"error": {"code": "...", "message": "..."}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from crowdwall.conf import conf
from crowdwall.exceptions import SourceError
from crowdwall.ingest.prepare import BatchResult, Rejected
from crowdwall.ingest.write import ingest
from crowdwall.models import Source
from crowdwall.sources.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    PayloadError,
    SignatureError,
    authenticate,
    read_payload,
    rejection,
)

logger = logging.getLogger("crowdwall.webhooks")

__all__ = ["too_large", "webhook"]


def error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    """An error response: ``{"error": {"code", "message"}}`` plus ``extra`` keys."""
    return JsonResponse({"error": {"code": code, "message": message}, **extra}, status=status)


def too_large(limit: int) -> JsonResponse:
    """The 413 answer to a body bigger than ``limit`` bytes (also sent by ``webhook_asgi``)."""
    return error(413, "too_large", f"The body is bigger than {limit} bytes.")


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body, or ``None`` if it is bigger than ``limit`` bytes."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)  # a missing or lying Content-Length cannot get past this
    return None if len(body) > limit else body


def _summary(received: int, result: BatchResult) -> dict[str, Any]:
    return {
        "received": received,
        "created": result.created,
        "updated": result.updated,
        "deleted": result.deleted,
        "duplicates": result.duplicates,
        "unmatched": result.unmatched,
        "quarantined": result.quarantined,
        "rejected": [_rejected(r) for r in result.rejected],
    }


def _rejected(item: Rejected) -> dict[str, str]:
    """A rejected post as its sender sees it: a stable code and a message for senders, never
    the pipeline's detail (logged by ``ingest``)."""
    code, message = rejection(item.reason)
    return {"id": item.external_id, "reason": code, "detail": message}


@csrf_exempt  # authenticated by the body's signature, not by a session
def webhook(request: HttpRequest, source_id: int) -> JsonResponse:
    """Receive posts for one webhook source (see the module docstring)."""
    if request.method != "POST":
        response = error(405, "method_not_allowed", "Webhooks are delivered with POST.")
        response["Allow"] = "POST"
        return response
    source = Source.objects.filter(pk=source_id, kind="webhook", enabled=True).first()
    if source is None or not source.secret:
        if source is not None:
            logger.warning("Webhook source %s has no secret; refusing deliveries", source_id)
        return error(404, "unknown_source", "No such webhook.")
    limit = conf.WEBHOOK_MAX_BYTES
    body = _read_body(request, limit)
    if body is None:
        return too_large(limit)
    try:
        authenticate(
            source.secret,
            body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            tolerance=conf.WEBHOOK_TOLERANCE_SECONDS,
            allow_body_only=conf.WEBHOOK_ALLOW_BODY_ONLY_SIGNATURES,
        )
    except SignatureError as exc:
        logger.warning("Webhook source %s: delivery refused (%s)", source_id, exc.code)
        response = error(exc.status, exc.code, str(exc))
        if exc.status == 401:  # HTTP requires a challenge with 401: name the scheme
            response["WWW-Authenticate"] = f'{SIGNATURE_HEADER} realm="crowdwall webhook"'
        return response
    try:
        items = read_payload(body)
    except PayloadError as exc:
        logger.warning("Webhook source %s: %s", source_id, exc)
        return error(400, exc.code, str(exc))
    try:
        result = ingest(source, items)
    except SourceError:  # deleted since we looked it up: nothing was stored
        return error(404, "unknown_source", "No such webhook.")
    summary = _summary(len(items), result)
    logger.info(
        "Webhook source %s: %d received, %d stored, %d duplicates, %d rejected",
        source_id,
        len(items),
        result.stored,
        result.duplicates,
        len(result.rejected),
    )
    if items and len(result.rejected) == len(items):
        first = summary["rejected"][0]
        message = f"No post could be stored; first problem: {first['detail']}"
        return error(400, "invalid_post", message, **summary)
    return JsonResponse(summary, status=200)
