"""The big screen's relative times ("2 minutes ago") follow the clock: screen.js refreshes them
every 30 s. Playwright's fake clock drives the page's time and timers, so no test waits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.crowdwall.browser.screen_samples import offline_pictures
from tests.crowdwall.browser.test_live_js import no_errors
from tests.crowdwall.conftest import make_post
from tests.crowdwall.live.conftest import Api, AsgiServer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("layout", ["columns", "ticker"])
def test_relative_times_refresh_as_the_clock_runs(page: Any, page_server: AsgiServer, layout: str):
    api = Api(page_server).create()
    written = datetime.now(UTC).replace(microsecond=0)
    ids = api.ingest(make_post(1, html="<p>Doors open</p>", created_at=written.isoformat()))
    page.clock.install(time=written + timedelta(seconds=10))
    offline_pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/screen/?layout={layout}")
    stamp = page.locator(f"#post-{ids['1']} time")
    expect(stamp).to_have_text("now")
    page.clock.run_for("00:25")  # 35 s old, no refresh due yet
    expect(stamp).to_have_text("now")
    page.clock.run_for("01:00")  # refreshed on the 30-s ticks
    expect(stamp).to_have_text("1 minute ago")
    page.clock.run_for("05:00")
    expect(stamp).to_have_text("6 minutes ago")
    assert stamp.get_attribute("datetime")  # the absolute time stays for machines
    no_errors(page)


def test_the_wall_page_shows_relative_times_too(page: Any, page_server: AsgiServer):
    """The wall page's posts read "2 minutes ago" like the screen's (the absolute time the
    server wrote in the title), refreshed as the clock runs."""
    api = Api(page_server).create()
    written = datetime.now(UTC).replace(microsecond=0)
    ids = api.ingest(make_post(1, html="<p>Doors open</p>", created_at=written.isoformat()))
    page.clock.install(time=written + timedelta(minutes=2, seconds=5))
    offline_pictures(page)
    page.goto(f"http://{page_server.base}/walls/{api.slug}/")
    stamp = page.locator(f"#post-{ids['1']} time")
    expect(stamp).to_have_text("2 minutes ago")
    expect(stamp).to_have_attribute("title", re.compile(r"^\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC$"))
    page.clock.run_for("03:00")
    expect(stamp).to_have_text("5 minutes ago")
    no_errors(page)
