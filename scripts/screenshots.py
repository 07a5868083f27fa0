"""Screenshots of crowdwall's pages at phone, laptop, 1080p and 4K sizes, for a person to judge.

    .venv/bin/python scripts/screenshots.py [--full] [PATH ...]

Runs the example project on a throwaway SQLite file (the demo wall, a staff user ``shots``, a
few quarantined posts and a filled pre-approve queue) under ``manage.py runserver`` on a free
loopback port, logs in through the admin, and saves a full-page PNG of each path at each size
under ``test-artifacts/screens/<size>/``: what fits the screen (``--full``: the whole page).
Default paths: the landing page, the wall, the big screen, the archive, the moderation screen,
its quarantine list, the pre-approve demo wall's queue, and the admin's quarantine and source
pages.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-artifacts" / "screens"
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "1080p": (1920, 1080), "4k": (3840, 2160)}
PATHS = [
    "/",
    "/walls/djangocon/",
    "/walls/djangocon/screen/",
    "/walls/djangocon/archive/",
    "/walls/djangocon/moderate/",
    "/walls/djangocon/moderate/quarantine/",
    "/walls/djangocon-moderated/moderate/",
    "/admin/crowdwall/quarantinedpost/",
    "/admin/crowdwall/source/",
]
SETUP = """
import json
from django.contrib.auth import get_user_model
from crowdwall.models import QuarantinedPost, Source
get_user_model().objects.create_superuser("shots", "shots@example.com", "shots-password")
source = Source.objects.filter(wall__slug="djangocon").first()
for n, reason in enumerate([
    "DataError: value too long for type character varying(255)",
    "IntegrityError: poisoned row",
    "DataError: invalid byte sequence for encoding UTF8",
]):
    QuarantinedPost.objects.create(
        source=source, external_id=f"quarantined-{n}", reason=reason,
        payload=json.dumps({"id": f"quarantined-{n}", "html": "<p>#djangocon</p>"}),
    )
# A few purges for herdcache's stats page (its purge log), one with a failed downstream tier.
import herdcache
from herdcache.models import PurgeLog
from herdcache.purgelog import purge_reason, record_tier
herdcache.purge(tags=["wall:djangocon"], reason="tracked")
with purge_reason("admin", user="shots"):
    herdcache.purge(urls=["/walls/djangocon/*", "/walls/djangocon/archive/"], soft=True)
herdcache.purge(prefix="/walls/", reason="command", rewarm=False)
record_tier(PurgeLog.objects.first().pk, "varnish:10.0.0.7", False, "connection refused")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)  # readiness poll: a listening socket has no event to await
    raise TimeoutError("the server did not start")


def main(arguments: list[str]) -> int:
    full = "--full" in arguments
    paths = [path for path in arguments if path != "--full"] or PATHS
    workdir = Path(tempfile.mkdtemp(prefix="crowdwall-shots-"))
    env = {**os.environ, "CROWDWALL_SQLITE_PATH": str(workdir / "db.sqlite3")}
    manage = [sys.executable, str(ROOT / "example" / "manage.py")]
    port = _free_port()
    demo = ["crowdwall", "demo", "--site-url", f"http://127.0.0.1:{port}"]
    for args in (["migrate", "--noinput", "-v0"], demo, ["shell", "-c", SETUP]):
        subprocess.run([*manage, *args], env=env, check=True, cwd=ROOT / "example")
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=ROOT / "example", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(port, server)
        time.sleep(20)  # let the demo's replay source stream some posts onto the wall
        _shoot(f"http://127.0.0.1:{port}", paths, full)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return 0


def _shoot(base: str, paths: list[str], full: bool) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{base}/admin/login/?next=/admin/")
            page.fill("#id_username", "shots")
            page.fill("#id_password", "shots-password")
            page.click("input[type=submit]")
            for path in paths:
                page.goto(base + path, wait_until="networkidle")
                name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "home"
                folder = OUT / size
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / f"{name}.png"), full_page=full)
                print(folder / f"{name}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
