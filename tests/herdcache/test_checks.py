"""System checks (herdcache.checks): each id fires for its bad setting, none for good ones."""

from __future__ import annotations

import pytest
from django.core.checks import CheckMessage, Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from herdcache.checks import check_settings

UPDATE = "herdcache.middleware.UpdateCacheMiddleware"
FETCH = "herdcache.middleware.FetchFromCacheMiddleware"


def run(settings, **overrides: object) -> list[CheckMessage]:
    """Run the herdcache checks with ``overrides`` applied to Django settings."""
    for name, value in overrides.items():
        setattr(settings, name, value)
    return check_settings()


def ids(settings, herdcache: object, **overrides: object) -> list[str]:
    """Check ids for ``HERDCACHE=herdcache`` (and other overridden settings)."""
    return [message.id for message in run(settings, HERDCACHE=herdcache, **overrides)]


def my_key(key: str, key_prefix: str, version: object) -> str:
    """A valid custom key function."""
    return f"{key_prefix}{version}{key}"


@pytest.mark.parametrize(
    "herdcache",
    [
        {},
        {"STATS_FLUSH_INTERVAL": 0},
        {
            "CACHE": "default",
            "VERSION": "2024-06",
            "FLAVOR": "prod",
            "KEY_FUNCTION": "tests.herdcache.test_checks.my_key",
            "STALE_FACTOR": 0,
            "LOCK_TIMEOUT": 0.5,
            "COLD_WAIT": 0,
            "XFETCH_BETA": 2,
            "MAX_ENTRY_SIZE": 512 * 1024,
            "REMEMBER_ALL_URLS": True,
            "REMEMBER_STATS_ALL_URLS": True,
            "MIDDLEWARE_SECONDS": 30,
            "MIDDLEWARE_KEY_PREFIX": "site",
            "METRICS_TOKEN": "t",
            "CACHE_STATUS": True,
        },
        {"KEY_FUNCTION": my_key, "VERSION": 7},
    ],
)
def test_good_settings_pass(settings, herdcache: dict) -> None:
    assert ids(settings, herdcache) == []


def test_missing_herdcache_setting_passes(settings) -> None:
    del settings.HERDCACHE
    assert check_settings() == []


@pytest.mark.parametrize("value", [[], ["FLAVOR"], "FLAVOR=prod", None, 1])
def test_e001_herdcache_must_be_a_dict(settings, value: object) -> None:
    messages = run(settings, HERDCACHE=value)
    assert [m.id for m in messages] == ["herdcache.E001"]
    assert isinstance(messages[0], Error)


def test_e002_unknown_setting(settings) -> None:
    messages = run(settings, HERDCACHE={"FLAVOUR": "prod", "VERISON": 2})
    assert [m.id for m in messages] == ["herdcache.E002"]
    assert "FLAVOUR, VERISON" in messages[0].msg


def test_e003_cache_alias_not_in_caches(settings) -> None:
    assert ids(settings, {"CACHE": "pages"}) == ["herdcache.E003"]
    caches = {**settings.CACHES, "pages": settings.CACHES["default"]}
    assert ids(settings, {"CACHE": "pages"}, CACHES=caches) == []


@pytest.mark.parametrize(
    "func",
    [
        "no.such.module.func",
        "herdcache.keys.no_such_func",
        "nodots",
        ".relative",  # import_string raises ValueError: the check must report, not crash
        "..relative",  # ... and TypeError here
        "herdcache.conf.DEFAULTS",  # importable, not callable
        42,
        None,
    ],
)
def test_e004_key_function_not_an_importable_callable(settings, func: object) -> None:
    assert ids(settings, {"KEY_FUNCTION": func}) == ["herdcache.E004"]


@pytest.mark.parametrize("value", ["off", "True", 1, None])
def test_e012_cache_status_must_be_a_bool(settings, value: object) -> None:
    assert ids(settings, {"CACHE_STATUS": value}) == ["herdcache.E012"]


@pytest.mark.parametrize("flavor", [1, None, b"prod", ["prod"]])
def test_e005_flavor_must_be_a_string(settings, flavor: object) -> None:
    assert ids(settings, {"FLAVOR": flavor}) == ["herdcache.E005"]


@pytest.mark.parametrize("version", [True, False, 1.5, None, [1], b"1"])
def test_e006_version_must_be_int_or_str(settings, version: object) -> None:
    assert ids(settings, {"VERSION": version}) == ["herdcache.E006"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        *[
            (n, v)
            for n in ("LOCK_TIMEOUT", "MAX_ENTRY_SIZE", "MIDDLEWARE_SECONDS")
            for v in (0, -1)
        ],
        *[(n, -0.1) for n in ("STALE_FACTOR", "COLD_WAIT", "XFETCH_BETA", "STATS_FLUSH_INTERVAL")],
        ("LOCK_TIMEOUT", "30"),
        ("MAX_ENTRY_SIZE", None),
        ("COLD_WAIT", True),
    ],
)
def test_e007_numbers_out_of_range(settings, name: str, value: object) -> None:
    assert ids(settings, {name: value}) == ["herdcache.E007"]


def test_several_problems_are_all_reported(settings) -> None:
    bad = {"CACHE": "nope", "FLAVOR": 1, "VERSION": None, "LOCK_TIMEOUT": 0, "COLD_WAIT": -1}
    assert ids(settings, bad) == [
        "herdcache.E003",
        "herdcache.E005",
        "herdcache.E006",
        "herdcache.E007",
        "herdcache.E007",
    ]


@pytest.mark.parametrize("middleware", [[UPDATE], [FETCH], ["x.Y", FETCH, "x.Z"]])
def test_w001_middleware_halves_used_alone(settings, middleware: list[str]) -> None:
    messages = run(settings, MIDDLEWARE=middleware)
    assert [m.id for m in messages] == ["herdcache.W001"]
    assert isinstance(messages[0], Warning)


def test_w002_middleware_halves_in_the_wrong_order(settings) -> None:
    messages = run(settings, MIDDLEWARE=[FETCH, "x.Y", UPDATE])
    assert [m.id for m in messages] == ["herdcache.W002"]
    assert isinstance(messages[0], Warning)


@pytest.mark.parametrize(
    "middleware",
    [[], [UPDATE, FETCH], [UPDATE, "x.Y", FETCH], ["herdcache.middleware.CacheMiddleware"]],
)
def test_middleware_used_right_passes(settings, middleware: list[str]) -> None:
    assert run(settings, MIDDLEWARE=middleware) == []


def test_manage_py_check_passes_with_the_test_settings() -> None:
    call_command("check", verbosity=0)


def test_manage_py_check_runs_herdcache_checks(settings) -> None:
    settings.HERDCACHE = {"CACHE": "nope"}
    with pytest.raises(SystemCheckError, match=r"herdcache\.E003"):
        call_command("check", verbosity=0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(settings, value):
    settings.HERDCACHE = {"MAX_ENTRY_SIZE": value}
    assert [e.id for e in check_settings()] == ["herdcache.E007"]


@pytest.mark.parametrize("flag", [0, 3, 8, 16, -1024, "1024", True])
def test_edge_gzip_flag_must_be_a_free_single_bit(settings, flag):
    settings.HERDCACHE = {"EDGE_GZIP_FLAG": flag}
    assert [e.id for e in check_settings()] == ["herdcache.E008"]


def test_edge_trusted_proxies_must_be_addresses(settings):
    settings.HERDCACHE = {"EDGE_TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8", "nginx.local"]}
    assert [e.id for e in check_settings()] == ["herdcache.E009"]


def test_edge_types_must_map_path_prefixes(settings):
    settings.HERDCACHE = {"EDGE_TYPES": {"api": "application/json"}}
    assert [e.id for e in check_settings()] == ["herdcache.E010"]


def test_edge_without_memcached_warns(settings):
    settings.HERDCACHE = {"EDGE": True}
    assert [e.id for e in check_settings()] == ["herdcache.W003"]
    settings.HERDCACHE = {"EDGE": True, "EDGE_SERVERS": ["127.0.0.1:11211"]}
    assert check_settings() == []


@pytest.mark.parametrize(
    ("herdcache", "django", "warned"),
    [
        ({"MIDDLEWARE_SECONDS": 30}, {"CACHE_MIDDLEWARE_SECONDS": 60}, True),
        ({"MIDDLEWARE_SECONDS": 30}, {"CACHE_MIDDLEWARE_SECONDS": 30}, False),
        ({"MIDDLEWARE_KEY_PREFIX": "a"}, {"CACHE_MIDDLEWARE_KEY_PREFIX": "b"}, True),
        ({"CACHE": "default"}, {"CACHE_MIDDLEWARE_ALIAS": "other"}, True),
        ({}, {"CACHE_MIDDLEWARE_SECONDS": 60, "CACHE_MIDDLEWARE_ALIAS": "other"}, False),
        ({"MIDDLEWARE_SECONDS": 30}, {}, False),
    ],
)
def test_django_middleware_settings_disagreeing_with_herdcache(
    settings, herdcache, django, warned
) -> None:
    """herdcache.W004: both CACHE_MIDDLEWARE_* and HERDCACHE set, to different values."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "other": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert ("herdcache.W004" in ids(settings, herdcache, **django)) is warned


@pytest.mark.parametrize(
    ("herdcache", "expected"),
    [
        ({"REWARM": True, "REWARM_ORIGIN": "https://127.0.0.1:8443/", "REWARM_TOP": 5}, []),
        ({"REWARM": "off"}, ["herdcache.E050"]),
        ({"REWARM_TOP": 0}, ["herdcache.E051"]),
        ({"REWARM_CONCURRENCY": 2.5}, ["herdcache.E051"]),
        ({"PURGE_LOG_MAX_ROWS": True}, ["herdcache.E051"]),
        ({"REWARM_ORIGIN": "127.0.0.1:8080"}, ["herdcache.E052"]),
        ({"REWARM_ORIGIN": "http://nginx/wall/"}, ["herdcache.E052"]),
        ({"REWARM_ORIGIN": "http://nginx:99999"}, ["herdcache.E052"]),
        ({"REWARM_TIMEOUT": 0}, ["herdcache.E053"]),
        ({"PURGE_LOG_MAX_AGE": float("nan")}, ["herdcache.E053"]),
    ],
)
def test_rewarm_and_purge_log_settings(settings, herdcache: dict, expected: list[str]) -> None:
    assert ids(settings, herdcache) == expected
