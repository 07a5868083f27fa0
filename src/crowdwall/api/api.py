"""The API instance: routers, auth and throttling defaults, error handling, the schema.

Mounted by ``crowdwall.urls`` at ``/api/``; the OpenAPI document is ``/api/openapi.json`` and
the interactive docs ``/api/docs``. Three things ninja does not do by itself are added here:

- every error, including ninja's own 405 and unknown paths under ``/api/``, is the JSON error
  shape of ``crowdwall.api.errors``, and every operation declares those error responses in the
  schema (so clients and schemathesis can rely on them);
- a NUL character in any query value or path is refused before ninja reads it
  (``crowdwall.api.inputs``; bodies are checked by their schemas);
- the webhook endpoint, a plain Django view, is described in the same document
  (``crowdwall.api.hooks``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, URLPattern, URLResolver, re_path, resolve
from ninja import NinjaAPI

from crowdwall.api import (
    analytics,
    bans,
    errors,
    hooks,
    inputs,
    moderation,
    never_show,
    posts,
    schedule,
    sources,
    trusted,
    walls,
)
from crowdwall.api.schemas import Error
from crowdwall.api.throttling import AnonymousRate

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    400: "Bad request",
    401: "No or wrong credentials",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Body too large",
    422: "Invalid input (see `fields`)",
    429: "Too many requests (see Retry-After)",
}


def _json_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers 405 in plain text: answer it in the API's error shape (keeping Allow)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            refusal = errors.error_response(405, f"{request.method} is not allowed here.")
            refusal["Allow"] = response.get("Allow", "")
            return refusal
        return response

    return wrapper


def _refuse_nul(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Refuse NUL in the query or path before ninja parses them (``crowdwall.api.inputs``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return inputs.refusal(request) or view(request, *args, **kwargs)

    return wrapper


def _unknown(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    # This catch-all also catches "/api/walls" (no slash), which APPEND_SLASH would have
    # redirected: name the right URL instead (a redirect would turn a POST into a GET).
    message = "No such API endpoint."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "unknown":
            message += f" Did you mean {request.path}/ ?"
    return errors.error_response(404, message)


class CrowdwallAPI(NinjaAPI):
    """``NinjaAPI`` with JSON 404/405 answers and a schema that declares them."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[URLResolver | URLPattern] = []
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(
                    pattern.pattern,
                    _json_405(_refuse_nul(pattern.callback)),
                    pattern.default_args,
                    pattern.name,
                )
            wrapped.append(pattern)
        wrapped.append(re_path(r"^(?P<rest>.*)$", _unknown, name="unknown"))
        return wrapped, app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in error_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components["Error"] = error_schema
        for path in schema["paths"].values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status in errors.ERROR_STATUSES:
                    responses.setdefault(
                        status,
                        {
                            "description": _DESCRIPTIONS[status],
                            "content": {"application/json": {"schema": _ERROR_REF}},
                        },
                    )
                if 429 in responses:
                    responses[429].setdefault(
                        "headers",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}},
                    )
        schema["paths"][hooks.PATH] = hooks.path_item()
        return schema


api = CrowdwallAPI(
    title="crowdwall API",
    version="1",
    description=(
        "Read walls and their posts (public, cached); moderate, configure sources and bans "
        "(staff: `Authorization: Bearer <token>` or a session with CSRF). Lists are "
        '`{"meta": {"limit", "next", "previous", "total_count"}, "objects": [...]}`; errors '
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    urls_namespace="crowdwall:api",
    throttle=[AnonymousRate()],
)
errors.install(api)
api.add_router("/walls/", walls.router)
api.add_router("/walls/", posts.router)
api.add_router("/walls/", moderation.router)
api.add_router("/walls/", sources.router)
api.add_router("/walls/", bans.router)
api.add_router("/walls/", trusted.router)
api.add_router("/walls/", schedule.router)
api.add_router("/", never_show.router)
api.add_router("/walls/", analytics.router)

__all__ = ["api"]
