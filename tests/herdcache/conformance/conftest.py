"""Start the memcached the ported Django cache tests were configured with (see memcached.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.servers import Server, memcached_command
from tests.herdcache.conformance import memcached


@pytest.fixture(scope="session", autouse=True)
def conformance_memcached() -> Iterator[str]:
    """memcached on the port chosen at import (session-scoped: up before setUpClass runs)."""
    if memcached.EXTERNAL:
        yield memcached.LOCATION
        return
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-conformance-memcached-"))
    server = Server("memcached", memcached.PORT, workdir, memcached_command).start()
    try:
        yield memcached.LOCATION
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _django_guards_its_own_test_cases(django_db_blocker) -> Iterator[None]:
    """Let Django's test classes guard database access themselves, as under Django's runner.

    SimpleTestCase refuses queries on its own; pytest-django's blocker would also refuse the
    connection housekeeping ``request_finished`` does when a response is closed (a connection
    opened by an earlier TestCase is still there).
    """
    with django_db_blocker.unblock():
        yield
