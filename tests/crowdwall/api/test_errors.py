"""Every refusal has one JSON shape, with the right status; anonymous clients are throttled."""

from __future__ import annotations

import pytest
from django.test import Client

W = "/api/walls/djangocon"


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_unknown_paths_under_api_are_json_404(anon):
    assert error_of(anon.get("/api/nothing/here/"), 404)["code"] == "not_found"
    hint = error_of(anon.post("/api/walls"), 404)["message"]
    assert "Did you mean /api/walls/ ?" in hint


def test_a_wrong_method_is_json_405_with_allow(anon, wall):
    response = anon.put(f"{W}/posts/")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_invalid_bodies_are_422_with_fields(bearer, wall):
    response = bearer.post(
        f"{W}/moderation/", {"action": "explode", "posts": []}, content_type="application/json"
    )
    fields = error_of(response, 422)["fields"]
    assert set(fields) == {"action", "posts"}
    response = bearer.post(
        f"{W}/moderation/", {"action": "pin", "posts": [999]}, content_type="application/json"
    )
    assert error_of(response, 422)["fields"] == {"posts": ["None of these posts is on this wall."]}
    # Wrong JSON types are not coerced: 0 is not false.
    response = bearer.patch(f"{W}/", {"hide_bots": 0}, content_type="application/json")
    assert set(error_of(response, 422)["fields"]) == {"hide_bots"}
    response = bearer.patch(f"{W}/", {"colour": "red"}, content_type="application/json")
    assert set(error_of(response, 422)["fields"]) == {"colour"}


def test_model_validation_is_422_with_fields(bearer, wall):
    response = bearer.post(
        "/api/walls/",
        {"name": "Dup", "slug": "djangocon", "languages": ["klingon!"]},
        content_type="application/json",
    )
    fields = error_of(response, 422)["fields"]
    assert set(fields) == {"slug", "languages"}


def test_a_body_that_is_not_json_is_400(bearer, wall):
    response = bearer.post(f"{W}/moderation/", "{nope", content_type="application/json")
    assert error_of(response, 400)["code"] == "bad_request"


def test_a_body_over_the_limit_is_413(bearer, wall, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = {"action": "pin", "posts": list(range(1, 400))}
    response = bearer.post(f"{W}/moderation/", body, content_type="application/json")
    assert error_of(response, 413)["code"] == "too_large"


def test_anonymous_clients_are_throttled_with_retry_after(wall, settings):
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "3/m", "API_CACHE_SECONDS": 0}
    client = Client()
    statuses = [client.get(f"{W}/count/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{W}/count/")
    assert error_of(response, 429)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another address has its own budget.
    assert Client(REMOTE_ADDR="10.0.0.9").get(f"{W}/count/").status_code == 200


def test_staff_are_not_throttled(bearer, wall, settings):
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "2/m", "API_CACHE_SECONDS": 0}
    assert {bearer.get(f"{W}/count/").status_code for _ in range(5)} == {200}


def test_a_cache_outage_does_not_break_throttling(wall, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": "127.0.0.1:1",  # nothing listens here
        }
    }
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "1/m", "API_CACHE_SECONDS": 0}
    client = Client()
    assert [client.get(f"{W}/count/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs"])
def test_schema_and_docs_are_served(anon, path):
    assert anon.get(path).status_code == 200


def test_the_schema_declares_the_error_shape_everywhere(anon):
    schema = anon.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "crowdwall API" and schema["info"]["version"] == "1"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("401", "404", "405", "413"):
                assert status in {str(s) for s in operation["responses"]}, (method, path)
    assert "/hooks/{source_id}/" in schema["paths"]


def test_a_cache_outage_degrades_reads_and_writes(wall, posts, bearer, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": "127.0.0.1:1",  # nothing listens here
        }
    }
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "100/m"}
    anon = Client()
    assert [anon.get(f"{W}/posts/").status_code for _ in range(2)] == [200, 200]
    assert anon.get(f"{W}/").json()["post_count"] == 5
    created = bearer.post(
        "/api/walls/", {"name": "PyCon", "slug": "pycon"}, content_type="application/json"
    )
    assert created.status_code == 201  # saved; the failed purge is only logged


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(wall, settings):
    # Issue 14: a fresh X-Forwarded-For per request must not buy a fresh budget.
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "3/m", "API_CACHE_SECONDS": 0}
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.get(f"{W}/count/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(wall, settings):
    settings.HERDCACHE = {**settings.HERDCACHE, "EDGE_TRUSTED_PROXIES": ["10.0.0.1"]}
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "2/m", "API_CACHE_SECONDS": 0}
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.get(f"{W}/count/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(wall, settings):
    settings.HERDCACHE = {**settings.HERDCACHE, "EDGE_TRUSTED_PROXIES": ["127.0.0.0/8"]}
    settings.CROWDWALL = {**settings.CROWDWALL, "API_ANON_RATE": "2/m", "API_CACHE_SECONDS": 0}
    nginx = Client(REMOTE_ADDR="127.0.0.1")

    def get(xff: str) -> int:
        return nginx.get(f"{W}/count/", HTTP_X_FORWARDED_FOR=xff).status_code

    # nginx appends the address it saw; what the client claimed is further left and ignored.
    assert [get(f"{n}.1.1.1, 198.51.100.1") for n in range(3)] == [200, 200, 429]
    assert [get("198.51.100.2") for _ in range(3)] == [200, 200, 429]
    # Two trusted hops (a front nginx before the memcached tier): the client is the next one.
    assert [get("198.51.100.3, 127.0.0.2") for _ in range(3)] == [200, 200, 429]
    # Only proxies in the chain: the leftmost is the best guess at the client.
    assert get("127.0.0.5") == 200
