"""Every page and API read, with generated hostile query strings and path ids, by every caller:
never a 5xx, and refusals in the documented shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.security.conftest import assert_answered, examples, tried
from tests.security.strategies import KNOWN_TEXT, encode_component, query_string

pytestmark = pytest.mark.slow

EXAMPLES = examples(40)

# (path, the query parameters it reads) for anyone ...
PUBLIC = [
    ("/walls/", ["page"]),
    ("/walls/djangocon/", ["before", "after", "theme"]),
    ("/walls/djangocon/archive/", ["before", "after"]),
    ("/walls/queue/archive/", ["before", "after"]),
    ("/walls/djangocon/screen/", ["layout", "theme", "overlay", "position", "size", "background"]),
    ("/walls/djangocon/overlay/", ["layout", "theme", "overlay", "position", "size", "background"]),
    ("/walls/djangocon/wall.css", ["v"]),
    ("/walls/djangocon/posts/", ["before"]),
    ("/walls/djangocon/live/missed/", ["since", "changes"]),
    ("/walls/djangocon/live/authorize/", []),
    ("/api/walls/", ["limit", "cursor"]),
    ("/api/walls/djangocon/", []),
    ("/api/walls/djangocon/posts/", ["since", "before", "author", "state", "limit", "cursor"]),
    ("/api/walls/djangocon/count/", []),
    ("/api/walls/djangocon/top-authors/", ["n"]),
    ("/api/walls/djangocon/top-posts/", ["n"]),
]
# ... and for staff only.
STAFF = [
    ("/walls/djangocon/moderate/", ["state", "after", "page"]),
    ("/walls/queue/moderate/", ["state", "after", "page"]),
    ("/walls/djangocon/moderate/log/", ["page"]),
    ("/walls/djangocon/moderate/quarantine/", ["page"]),
    ("/walls/djangocon/moderate/snapshot/", ["changes", "state", "after"]),
    ("/api/walls/djangocon/moderation-log/", ["limit", "cursor"]),
    ("/api/walls/djangocon/sources/", ["limit", "cursor"]),
    ("/api/walls/djangocon/bans/authors/", ["limit", "cursor"]),
    ("/api/walls/djangocon/bans/words/", ["limit", "cursor"]),
    ("/api/walls/queue/posts/", ["since", "before", "author", "state", "limit", "cursor"]),
]
# Paths with an id in them: {id} is replaced by generated numbers.
ID_PATHS = [
    ("/api/walls/djangocon/posts/{id}/", "api"),
    ("/api/walls/djangocon/sources/{id}/", "api"),
    ("/walls/djangocon/moderate/items/{id}/", "page"),
    ("/hooks/{id}/", "api"),
]


def _get(client: Client, path: str, query: str) -> Any:
    return client.get(f"{path}?{query}")


def _callers(request: pytest.FixtureRequest, staff_only: bool) -> list[Client]:
    names = ["staff_client", "bearer"] if staff_only else ["anon", "staff_client", "bearer"]
    return [request.getfixturevalue(name) for name in names]


@pytest.mark.parametrize(("path", "names"), PUBLIC + STAFF, ids=[p for p, _ in PUBLIC + STAFF])
def test_hostile_query_strings(
    request: pytest.FixtureRequest, site: dict[str, Any], path: str, names: list[str]
) -> None:
    clients = _callers(request, staff_only=(path, names) in STAFF)
    ids = [str(n) for n in site["posts"] + site["pending"]]
    api = path.startswith("/api/") or "/live/" in path

    @EXAMPLES
    @given(query=query_string(names or ["q"]), caller=st.sampled_from(clients))
    def check(query: str, caller: Client) -> None:
        tried("query")
        assert_answered(_get(caller, path, query), api=api)

    check()
    # Every known troublemaker in every parameter, whatever hypothesis drew.
    for name in names:
        for value in [*KNOWN_TEXT, *ids]:
            tried("query")
            assert_answered(_get(clients[-1], path, f"{name}={encode_component(value)}"), api=api)


def test_repeated_parameters_have_one_meaning(anon: Client, site: dict[str, Any]) -> None:
    """Django's rule everywhere: the last value of a repeated parameter wins."""
    for first, last in [("dark", "light"), ("light", "dark")]:
        tried("query")
        twice = anon.get(f"/walls/djangocon/screen/?theme={first}&theme={last}")
        once = anon.get(f"/walls/djangocon/screen/?theme={last}")
        assert twice.status_code == once.status_code == 200
        assert f"theme-{last}" in twice.content.decode()
        assert f"theme-{last}" in once.content.decode()


@pytest.mark.parametrize(("template", "kind"), ID_PATHS, ids=[t for t, _ in ID_PATHS])
def test_hostile_ids_in_paths(
    staff_client: Client, anon: Client, site: dict[str, Any], template: str, kind: str
) -> None:
    numbers = [0, 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, *site["posts"]]

    @EXAMPLES
    @given(number=st.one_of(st.sampled_from(numbers), st.integers(min_value=0)))
    def check(number: int) -> None:
        for client in (anon, staff_client):
            tried("path")
            response = client.get(template.format(id=number))
            assert_answered(response, api=kind == "api")

    check()
