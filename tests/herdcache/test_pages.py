"""cache_page against locmem, real memcached and real Redis: storing, serving, Django's rules."""

from __future__ import annotations

import re

import pytest
from django.test import Client

import herdcache
from tests.herdcache.views import RENDERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_renders():
    RENDERS.clear()


def get(path: str, client: Client | None = None, **extra):
    return (client or Client()).get(path, **extra)


def test_second_request_is_served_from_cache(backend):
    first, second = get("/plain/"), get("/plain/")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert RENDERS["plain"] == 1
    assert "max-age=60" in second["Cache-Control"]


def test_query_strings_are_different_pages(backend):
    get("/plain/?a=1"), get("/plain/?a=2"), get("/plain/?a=1")
    assert RENDERS["plain"] == 2


def test_hosts_are_different_pages(backend):
    get("/plain/", HTTP_HOST="example.com")
    get("/plain/", HTTP_HOST="www.example.com")
    get("/plain/", HTTP_HOST="EXAMPLE.com")  # host names are case-insensitive
    assert RENDERS["plain"] == 2


def test_only_get_keys_ignores_other_parameters_and_order(backend):
    get("/paged/?page=2&utm=x")
    get("/paged/?utm=y&page=2")
    get("/paged/?page=3")
    assert RENDERS["paged"] == 2


def test_only_get_keys_as_a_string_is_one_parameter_name(backend):
    # Once keyed on the letters p, a, g, e: ?page=2 got the page of ?page=1.
    one, two = get("/paged-one/?page=1"), get("/paged-one/?page=2")
    assert one.content != two.content
    assert get("/paged-one/?page=2&utm=x").content == two.content
    assert RENDERS["paged_one"] == 2


def test_forget_get_keys_ignores_only_those_parameters(backend):
    first = get("/forgetful/?page=2&utm=a")
    assert get("/forgetful/?ref=x&page=2&utm=b").content == first.content
    assert get("/forgetful/?page=3&utm=a").content != first.content
    get("/forgetful/?page=2&sort=new")  # any other parameter still matters
    assert RENDERS["forgetful"] == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"only_get_keys": 7}, "only_get_keys must be a query parameter name or a list"),
        ({"only_get_keys": b"page"}, "not bytes"),
        ({"forget_get_keys": {"page": 1}}, "forget_get_keys must be"),
        ({"only_get_keys": ["page", 2]}, "non-empty query parameter names (str), not 2"),
        ({"forget_get_keys": [""]}, "non-empty"),
        ({"only_get_keys": ["a"], "forget_get_keys": ["b"]}, "not both"),
    ],
)
def test_wrong_get_keys_are_refused_at_decoration_time(arguments, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        herdcache.cache_page(60, **arguments)


def test_key_prefix_callable_varies_and_none_skips_caching(backend):
    get("/prefixed/?v=a"), get("/prefixed/?v=a")
    assert RENDERS["prefixed"] == 1
    get("/prefixed/?v=b")
    assert RENDERS["prefixed"] == 2
    get("/prefixed/"), get("/prefixed/")  # prefix None: never cached
    assert RENDERS["prefixed"] == 4


def test_post_process_response_is_stored_and_always_is_not(backend):
    miss = get("/processed/?who=ann")
    hit = get("/processed/?who=ann", HTTP_HOST="testserver")
    assert RENDERS["processed"] == 1
    assert miss.content.endswith(b"<!--stamped-->") and hit.content.endswith(b"<!--stamped-->")
    assert hit.content.count(b"stamped") == 1  # applied once, before storing
    assert miss["X-User"] == hit["X-User"] == "ann"


def test_post_process_response_always_runs_per_request_on_hits(backend):
    get("/processed/?who=ann")
    other = Client().get("/processed/?who=ann", HTTP_X_IGNORED="1")
    assert RENDERS["processed"] == 1
    assert other["X-User"] == "ann"


def test_vary_header_keeps_variants_apart(backend):
    en = get("/vary/", HTTP_ACCEPT_LANGUAGE="en")
    fr = get("/vary/", HTTP_ACCEPT_LANGUAGE="fr")
    en_again = get("/vary/", HTTP_ACCEPT_LANGUAGE="en")
    assert RENDERS["with_vary"] == 2
    assert en.content == en_again.content == b"lang=en"
    assert fr.content == b"lang=fr"


@pytest.mark.parametrize(
    "directive",
    ["private", "no-store", "no-cache", "Private", "NO-STORE", "No-Cache", "max-age=60, PRIVATE"],
)
def test_cache_control_forbidding_storage_is_honoured_in_any_case(backend, directive):
    get(f"/cc/{directive}/"), get(f"/cc/{directive}/")
    assert RENDERS[f"cc-{directive}"] == 2
    assert herdcache.get_stats()["uncacheable"] == 2


def test_public_cache_control_is_stored(backend):
    get("/cc/public/"), get("/cc/public/")
    assert RENDERS["cc-public"] == 1


def test_vary_star_is_never_stored(backend):
    get("/vary-star/"), get("/vary-star/")
    assert RENDERS["vary_star"] == 2


def test_set_cookie_is_never_stored(backend):
    get("/cookie/")
    second = get("/cookie/")
    assert RENDERS["cookie"] == 2
    assert "flavour" in second.cookies


def test_session_touching_page_is_never_shared(backend, django_user_model):
    get("/session/"), get("/session/")
    assert RENDERS["session_user"] == 2


@pytest.mark.parametrize("code", [201, 204, 301, 302, 404, 500])
def test_non_200_is_never_stored(backend, code):
    get(f"/status/{code}/"), get(f"/status/{code}/")
    assert RENDERS[f"status-{code}"] == 2


def test_streaming_is_never_stored(backend):
    response = get("/streaming/")
    assert b"".join(response.streaming_content) == b"ab"
    get("/streaming/")
    assert RENDERS["streaming"] == 2


def test_requests_with_authorization_bypass_the_cache(backend):
    get("/plain/")
    with_auth = get("/plain/", HTTP_AUTHORIZATION="Bearer secret")
    assert RENDERS["plain"] == 2
    assert b"#2" in with_auth.content
    get("/plain/", HTTP_AUTHORIZATION="Bearer secret")
    assert RENDERS["plain"] == 3


def test_post_requests_bypass_the_cache(backend):
    Client(enforce_csrf_checks=False).post("/plain/")
    Client().post("/plain/")
    assert RENDERS["plain"] == 2


def test_head_is_answered_from_the_get_entry(backend):
    get("/plain/")
    response = Client().head("/plain/")
    assert response.status_code == 200
    assert RENDERS["plain"] == 1


def test_template_response_is_rendered_then_stored(backend):
    first, second = get("/template/"), get("/template/")
    assert first.content == second.content == b"tpl 1"
    assert RENDERS["template"] == 1


def test_async_view(backend):
    first, second = get("/async/"), get("/async/")
    assert first.content == second.content
    assert RENDERS["async"] == 1


def test_oversized_response_is_served_not_stored_and_counted(backend):
    first, second = get("/huge/"), get("/huge/")
    assert first.status_code == second.status_code == 200
    assert len(second.content) == 2 * 1024 * 1024
    assert RENDERS["huge"] == 2
    assert herdcache.get_stats()["oversize"] == 2


def test_works_next_to_djangos_own_cache_page(backend):
    """Importing herdcache patches nothing: Django's cache_page keeps working beside it."""
    get("/django/"), get("/django/"), get("/plain/"), get("/plain/")
    assert RENDERS["django_plain"] == 1 and RENDERS["plain"] == 1


def test_stats_count_hits_and_misses(backend):
    get("/plain/"), get("/plain/"), get("/plain/")
    counters = herdcache.get_stats()
    assert counters["miss"] == 1 and counters["hit"] == 2


def test_page_reading_the_session_is_kept_per_visitor(backend, client, django_user_model):
    """A page that read the session (e.g. request.user) varies on Cookie: never shared."""
    from tests.herdcache import views

    alice = django_user_model.objects.create_user("alice", password="pw")
    bob = django_user_model.objects.create_user("bob", password="pw")
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    first = a.get("/whoami/")
    again = a.get("/whoami/")
    other = b.get("/whoami/")
    anon = Client().get("/whoami/")
    assert first.content == again.content == b"user alice"
    assert other.content == b"user bob"
    assert anon.content == b"user "
    assert views.RENDERS["whoami"] == 3
