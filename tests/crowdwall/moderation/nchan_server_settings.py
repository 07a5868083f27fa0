"""Settings of the Django behind nginx+nchan for the browser test of moderate.js's nchan
transport: the browser nchan server's (``LIVE_TRANSPORT = "nchan"``, static files), plus the
moderation test helper that sets a wall's mode (``nchan_server_urls``)."""

from tests.crowdwall.browser.nchan_server_settings import *  # noqa: F403

ROOT_URLCONF = "tests.crowdwall.moderation.nchan_server_urls"
