"""schemathesis against the live schema: no 5xx, and every answer matches the schema.

Runs every operation of ``/api/openapi.json`` (the webhook included) through the Django WSGI
app, with a bounded number of generated examples each, as the staff token's owner (so the
write paths run too) against a database holding a wall, posts, a source and bans.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from crowdwall.api import hooks
from crowdwall.models import BannedWord, Post, Source
from tests.crowdwall.api.conftest import TOKEN

pytestmark = pytest.mark.slow


# Loaded at collection (pytest-django has set Django up; the schema needs no database).
# (schemathesis.pytest.from_fixture would load it per test, but fails on pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# Valid data only: schemathesis generates negative cases too by default, and the hook below
# swaps their broken ids for real ones, making a "refused" request valid (a false ST201).
schema.config.generation.update(modes=[GenerationMode.POSITIVE])
# The same schema generating only data that breaks it (wrong types, out-of-range numbers,
# missing fields, NUL bytes): every such request must be refused with a 4xx, never accepted
# and never a 5xx (schemathesis's negative_data_rejection check).
negative = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
negative.config.generation.update(modes=[GenerationMode.NEGATIVE], allow_x00=True)


EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)

# Existing slugs and ids, fixed when the test's data is made: hypothesis needs the same
# choices on every draw, even after a generated DELETE removed a source.
REAL: dict[str, list[Any]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Often swap generated slugs and ids for real ones, so requests get past the 404s and
    exercise the operations themselves (reads, moderation, bans, source changes)."""
    if not isinstance(path_parameters, dict) or not path_parameters:
        return st.just(path_parameters)
    choices = {
        name: st.sampled_from([*REAL[name], value]) if REAL.get(name) else st.just(value)
        for name, value in path_parameters.items()
    }
    return st.fixed_dictionaries(choices)


@pytest.fixture
def no_connection_closing() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's test client
    does: the handler closes it at each request's end, which would end the test transaction
    (PostgreSQL; ``make test`` runs this on both databases)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(no_connection_closing: None, staff: Any, wall: Any, posts: list[int]) -> None:
    """What the generated requests find: a wall with posts, a webhook source, a ban."""
    Source.objects.create(wall=wall, name="hook", kind="webhook", secret="s3cret")
    BannedWord.objects.create(wall=wall, word="spam")
    REAL["slug"] = ["djangocon"]
    REAL["post_id"] = list(Post.objects.values_list("pk", flat=True))
    REAL["source_id"] = list(Source.objects.values_list("pk", flat=True))


@schema.parametrize()
@EXAMPLES
def test_api_conforms_to_its_schema(case: Any, data: None) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if case.operation.path == hooks.PATH and not _is_id(case.path_parameters.get("source_id")):
        # /hooks/<int>/ is a Django route: "null,null" or "-877" never reaches the webhook
        # view, and Django's own (HTML) 404 answers it. Nothing of ours to check but "no 5xx".
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
        return
    # Every built-in check except "schema-valid input is accepted": the API validates more
    # than a schema can say (cursor tokens, keyword syntax, unique slugs, each source kind's
    # config), and says so with a 4xx in the documented error shape.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


@negative.parametrize()
@EXAMPLES
def test_api_refuses_what_its_schema_refuses(case: Any, data: None) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if case.operation.path == hooks.PATH:
        # The webhook's body is authenticated before it is parsed: unsigned data is a 401/404.
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
        return
    case.call_and_validate(headers=headers, checks=[not_a_server_error, negative_data_rejection])


def _is_id(value: Any) -> bool:
    """Whether ``value`` is what Django's ``<int:>`` route matches (digits: no sign)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
