"""Settings of the browser tests' ASGI server: the live test server's, plus crowdwall's pages
and static files (served by Django here; nginx or whitenoise in production)."""

from tests.crowdwall.live.server_settings import *  # noqa: F403

ROOT_URLCONF = "tests.crowdwall.browser.server_urls"
STATIC_URL = "/static/"
