"""The webhook endpoint's entry in the API schema (the endpoint itself: ``crowdwall.webhooks``).

``POST /hooks/{source_id}/`` is not a ninja operation: it has one implementation, the plain
Django view, which is exempt from CSRF and from API auth by design (the HMAC signature is the
authentication) and keeps its own size limit. This module only describes it, so the API's
OpenAPI document covers every HTTP entry point a script may call.
"""

from __future__ import annotations

from typing import Any

from crowdwall.api.schemas import MAX_ID
from crowdwall.sources.webhook import (
    OTHER_REJECTION,
    REJECTIONS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)

PATH = "/hooks/{source_id}/"

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

_SUMMARY = {
    "type": "object",
    "required": [
        "received",
        "created",
        "updated",
        "deleted",
        "duplicates",
        "unmatched",
        "rejected",
    ],
    "properties": {
        "received": {"type": "integer"},
        "created": {"type": "integer"},
        "updated": {"type": "integer"},
        "deleted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "unmatched": {"type": "integer"},
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": ["string", "null"]},
                    "reason": {
                        "type": "string",
                        "enum": sorted(
                            {code for code, _ in (*REJECTIONS.values(), OTHER_REJECTION)}
                        ),
                        "description": "A stable code (see docs/api.md, webhook rejections).",
                    },
                    "detail": {
                        "type": ["string", "null"],
                        "description": "What the code means, written for senders.",
                    },
                },
            },
        },
    },
}

_POST = {
    "type": "object",
    "description": "A post in crowdwall's JSON format (id, created_at, author, html, ...).",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "created_at": {"type": "string"},
        "author": {"type": "object"},
        "html": {"type": "string"},
        "text": {"type": "string"},
        "url": {"type": "string"},
        "language": {"type": "string"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def path_item() -> dict[str, Any]:
    """The OpenAPI path item of the webhook endpoint."""
    return {
        "post": {
            "operationId": "crowdwall_webhook",
            "tags": ["webhook"],
            "summary": "Deliver posts to a webhook source",
            "description": (
                'Signed deliveries of one post or `{"posts": [...]}`. Sign '
                f"`<timestamp>.<raw body>` with HMAC-SHA256 and the source's secret: "
                f"`{TIMESTAMP_HEADER}: <epoch seconds>`, `{SIGNATURE_HEADER}: sha256=<hex>`. "
                "No API token or session: the signature is the authentication. Re-deliveries "
                "are counted as duplicates and change nothing."
            ),
            "security": [],
            "parameters": [
                {
                    "name": "source_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                },
                {
                    "name": SIGNATURE_HEADER,
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "sha256=<hex HMAC-SHA256>",
                },
                {
                    "name": TIMESTAMP_HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Seconds since the epoch, signed with the body.",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                _POST,
                                {
                                    "type": "object",
                                    "required": ["posts"],
                                    "properties": {"posts": {"type": "array", "items": _POST}},
                                },
                            ]
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Stored (counts per outcome)",
                    "content": {"application/json": {"schema": _SUMMARY}},
                },
                "400": _error(
                    "Not JSON (bad_json), nested deeper than 32 levels (too_deep), not posts, "
                    "a bad timestamp, or every post rejected"
                ),
                "401": _error("Missing or wrong signature or timestamp"),
                "404": _error("No enabled webhook source with a secret has this id"),
                "405": _error("Only POST"),
                "413": _error(
                    "Body (or declared Content-Length) larger than CROWDWALL['WEBHOOK_MAX_BYTES']"
                ),
            },
        }
    }
