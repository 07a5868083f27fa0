"""Writes from another process: a second Python process (Django set up on the same SQLite file
and the same memcached) commits ORM writes; the pages this process cached that read those rows
are purged, the others stay. Invalidation travels through the shared cache alone."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connections
from django.db.utils import load_backend
from django.http import HttpResponse
from django.test import RequestFactory

import herdcache
from herdcache import tracking
from herdcache.drivers import refresher
from tests.conftest import cache_config
from tests.herdcache.edge.stack import HERDCACHE_PATH, ROOT
from tests.herdcache.trackapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True)
ALIAS = "tracking_file"  # this test's connection to the SQLite file both processes share


@pytest.fixture
def shared_file(request, settings, tmp_path, monkeypatch) -> Iterator[dict[str, str]]:
    """A SQLite file with the tables both processes use, as a connection alias of this process;
    memcached as the default cache. Yields the second process's environment."""
    settings.CACHES = {"default": cache_config("memcached", request)}
    settings.HERDCACHE = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 0, "TRACK_PURGE": "hard"}
    monkeypatch.setattr(tracking, "declared", False)
    caches["default"].clear()
    path = tmp_path / "shared.sqlite3"
    # Outside DATABASES (Django's test case lets only its own aliases connect), registered for
    # this thread so that .using(ALIAS) finds it.
    # SQLite whatever the test database is (--db=postgres too): the file is what both share.
    engine = "django.db.backends.sqlite3"
    file_settings = {
        **connections["default"].settings_dict,
        **{"ENGINE": engine, "NAME": str(path), "OPTIONS": {}, "HOST": "", "PORT": ""},
        **{"USER": "", "PASSWORD": ""},
    }
    wrapper = load_backend(engine).DatabaseWrapper(file_settings, ALIAS)
    setattr(connections._connections, ALIAS, wrapper)
    try:
        with connections[ALIAS].schema_editor() as editor:
            for config in ("trackapp", "herdcache"):  # the rows, and the purge log's table
                for model in apps.get_app_config(config).get_models():
                    editor.create_model(model)
        yield {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERDCACHE_PATH), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "tests.herdcache.trackapp.writer_settings",
            "TRACK_WRITER_DB": str(path),
            "TRACK_WRITER_MEMCACHED": settings.CACHES["default"]["LOCATION"],
        }
    finally:
        refresher.wait()
        connections[ALIAS].close()
        delattr(connections._connections, ALIAS)
        caches["default"].clear()


def write_in_another_process(env: dict[str, str], *pairs: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.herdcache.trackapp.writer", *pairs],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_a_write_committed_by_another_process_purges_the_pages_that_read_it(shared_file) -> None:
    Item.objects.using(ALIAS).bulk_create([Item(pk=pk, name=f"i{pk}", price=pk) for pk in (1, 2, 3)])  # fmt: skip
    renders: list[int] = []

    @herdcache.cache_page(300, track=True)
    def view(request, pk):
        renders.append(pk)
        return HttpResponse(str(Item.objects.using(ALIAS).get(pk=pk).price))

    def page(pk: int) -> bytes:
        return view(RequestFactory().get(f"/item/{pk}/"), pk).content

    assert [page(pk) for pk in (1, 2, 3)] == [b"1", b"2", b"3"]
    assert [page(pk) for pk in (1, 2, 3)] == [b"1", b"2", b"3"]
    assert renders == [1, 2, 3]

    write_in_another_process(shared_file, "1=10", "2=20")

    assert [page(pk) for pk in (1, 2, 3)] == [b"10", b"20", b"3"]
    assert renders == [1, 2, 3, 1, 2]  # item 3's page read no row that changed: still cached
    assert Path(shared_file["TRACK_WRITER_DB"]).exists()
