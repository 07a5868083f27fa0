"""Settings of the Django behind nginx+nchan for the browser test of live.js's nchan transport:
the nchan test server's settings (``LIVE_TRANSPORT = "nchan"``), plus crowdwall's static files
(live.js) served by Django, so Chromium loads page and script through nginx."""

from tests.crowdwall.live.nchan.server_settings import *  # noqa: F403

ROOT_URLCONF = "tests.crowdwall.browser.nchan_server_urls"
STATIC_URL = "/static/"
