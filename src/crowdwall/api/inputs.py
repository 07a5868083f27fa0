"""Text no API input may hold: the NUL character, refused where it arrives, whatever the field.

PostgreSQL cannot store U+0000 in text or JSON (psycopg refuses the query: a 500), SQLite would
store it, and no field of ours means it. So one rule at the input layer rather than a check per
field: a query value or a path segment holding NUL is refused before the operation runs
(``refusal``, applied to every operation by ``crowdwall.api.api``), and a JSON body holding one
anywhere, keys of free-form objects included, fails validation (``Strict`` in
``crowdwall.api.schemas`` runs ``holds_nul`` on every field). Both answer 422 in the API's error
shape, naming the field, identically on both databases.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from crowdwall.api.errors import error_response

NUL = "\x00"
MESSAGE = "Must not contain NUL characters (\\u0000)."


def holds_nul(value: Any) -> bool:
    """Whether ``value`` (text, or lists and dicts of it at any depth, keys too) contains NUL."""
    # A loop over a stack, not recursion: a body nested deeper than the interpreter's recursion
    # limit must get a 422 like any other, not a RecursionError.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def refusal(request: HttpRequest) -> JsonResponse | None:
    """The 422 (or 404, for a path) answering a request whose query or path holds NUL; else None."""
    if NUL in request.path:
        # No slug, id or endpoint holds NUL: whatever was asked for does not exist.
        return error_response(404, "Not found.")
    fields = {
        (key.replace(NUL, "\\u0000") or "__all__"): [MESSAGE]
        for key, values in request.GET.lists()
        if NUL in key or any(NUL in value for value in values)
    }
    if fields:
        return error_response(422, "The request is not valid.", fields=fields)
    return None
