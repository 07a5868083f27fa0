"""The live test server's settings with crowdwall's pages (the moderation screen) and a test-only
login endpoint and static files (for Chromium) added (``tests.crowdwall.moderation.server_urls``)."""

from tests.crowdwall.live.server_settings import *  # noqa: F403

ROOT_URLCONF = "tests.crowdwall.moderation.server_urls"
STATIC_URL = "/static/"
