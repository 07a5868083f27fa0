"""The memcached the conformance suite runs on: its address is known at import time.

Django's test classes put their CACHES in class decorators, evaluated when the module is
imported, before any fixture runs; so the port is chosen here and the session fixture in
``conftest.py`` starts memcached on it before the first test class is set up.
"""

from __future__ import annotations

import os

from tests.fixtures.servers import free_port

# HERDCACHE_CONFORMANCE_MEMCACHED="host:port": use a memcached that is already running.
EXTERNAL = os.environ.get("HERDCACHE_CONFORMANCE_MEMCACHED", "")
PORT = int(EXTERNAL.rsplit(":", 1)[1]) if EXTERNAL else free_port()
LOCATION = EXTERNAL or f"127.0.0.1:{PORT}"
