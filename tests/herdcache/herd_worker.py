"""A worker process for cross-process stampede tests.

    python -m tests.herdcache.herd_worker CONFIG_JSON

Sets Django up with the given CACHES, prints ``ready``, waits for ``go`` on stdin (so all workers
start together), then calls the target from many threads at once and prints one JSON line of
results. The target counts its renders with an atomic ``incr`` on the shared cache, and prints
``rendering`` when it starts (so a test can kill the process mid-render).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

RENDER_COUNTER = "herd-test-renders"


def main() -> None:
    config: dict[str, Any] = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.herdcache_settings")
    import django

    django.setup()
    from django.core.cache import caches
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    herd = {
        "STATS_FLUSH_INTERVAL": 0,
        "LOCK_TIMEOUT": config.get("lock_timeout", 30),
        "XFETCH_BETA": 0,
    }
    herd["COLD_WAIT"] = config.get("cold_wait", 20)
    override_settings(CACHES=config["caches"], HERDCACHE=herd).enable()

    import herdcache

    lock = threading.Lock()

    @herdcache.cached(
        config.get("timeout", 60), stale=600, key="herd-test", tags=["herd"], background=False
    )
    def target() -> str:
        caches["default"].incr(RENDER_COUNTER)
        with lock:
            print("rendering", flush=True)
        time.sleep(config["render_seconds"])
        return f"value from {os.getpid()} at {time.time()}"

    def page() -> str:
        from django.test import Client

        response = Client().get(f"/slow/?s={config['render_seconds']}")
        return f"{response.status_code} {response.content.decode()}"

    call = page if config.get("target") == "page" else target
    results: list[dict[str, Any]] = []

    def run() -> None:
        started = time.monotonic()
        try:
            value, error = call(), None
        except Exception as exc:  # reported, not raised: the test asserts there are none
            value, error = None, repr(exc)
        with lock:
            results.append({"value": value, "error": error, "seconds": time.monotonic() - started})

    if call is page:
        # The first request imports the whole URLconf (~1.5 s on a loaded machine, under the
        # import lock): done here, it would be timed as waiting for the render.
        from django.test import Client

        Client().get("/herd-worker-warm-up/")  # a 404: loads the URLconf and middleware
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    threads = [threading.Thread(target=run) for _ in range(config["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
