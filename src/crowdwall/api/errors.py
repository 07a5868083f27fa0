"""One error shape for the whole API: ``{"error": {"code", "message", "fields"}}``.

ninja's default handlers answer ``{"detail": ...}`` (and re-raise unknown exceptions as HTML
500 pages); these replace them, so a client parses every refusal the same way and the OpenAPI
schema can promise it. ``fields`` maps a field name (``"slug"``, ``"posts.0"``, ``"limit"``) to
its problems; it is ``{}`` when the error is not about one field.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("crowdwall.api")

# The code of each status, for errors that do not name their own.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}

# Declared on every operation of the schema (``crowdwall.api.api``): any of them can happen
# anywhere (a wrong bearer token on a public GET is a 401, any body can be too large, ...).
ERROR_STATUSES = (400, 401, 403, 404, 405, 413, 422, 429)


class ApiError(HttpError):
    """An API refusal with its own machine-readable ``code`` (and optional field errors)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(status, message)
        self.code = code or CODES.get(status, "error")
        self.fields = fields or {}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: dict[str, list[str]] | None = None,
) -> JsonResponse:
    """The JSON error response every handler returns."""
    body = {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "fields": fields or {},
        }
    }
    return JsonResponse(body, status=status)


def _field_name(loc: Iterable[Any]) -> str:
    # ninja prefixes the location ("body", "query", "path"); the schema "payload" argument name
    # follows for bodies. Neither helps a client: keep what names the field itself.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_fields(errors: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """ninja/pydantic error dicts as ``{field: [messages]}``."""
    fields: dict[str, list[str]] = {}
    for item in errors:
        fields.setdefault(_field_name(item.get("loc", ())), []).append(str(item.get("msg", "")))
    return fields


def django_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A model ``ValidationError`` as ``{field: [messages]}`` (``__all__`` for non-field ones)."""
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if isinstance(exc, ApiError):
        response = error_response(status, exc.message, code=exc.code, fields=exc.fields)
    elif isinstance(exc, AuthenticationError):
        response = error_response(
            401, "Staff only: send 'Authorization: Bearer <token>' or log in (session + CSRF)."
        )
    elif isinstance(exc, Throttled):
        response = error_response(429, "Too many requests: slow down.")
    else:
        response = error_response(status, exc.message)
    if status == 401:  # HTTP requires a challenge with 401
        response["WWW-Authenticate"] = 'Bearer realm="crowdwall"'
    return response


def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error_response(422, "The request is not valid.", fields=validation_fields(exc.errors))


def _model_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return error_response(422, "The request is not valid.", fields=django_fields(exc))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "Not found.")


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, str(exc) or "Forbidden.")


def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(413, "The request body is too large.")


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback for the operator; the client learns nothing about internals.
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong on our side.")


def install(api: NinjaAPI) -> None:
    """Replace ninja's default exception handlers with ours."""
    api.add_exception_handler(Exception, _unexpected)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(AuthenticationError, _http_error)
    api.add_exception_handler(NinjaValidationError, _validation_error)
    api.add_exception_handler(DjangoValidationError, _model_validation_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(ObjectDoesNotExist, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(RequestDataTooBig, _too_large)
