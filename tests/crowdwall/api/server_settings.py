"""Settings of the ASGI server of ``test_live_server``: the live tests' server, plus the API
(``crowdwall.urls``) and the staff token of ``CROWDWALL_TEST_API_TOKEN``."""

import os

from tests.crowdwall.live.server_settings import *  # noqa: F403
from tests.crowdwall.live.server_settings import CROWDWALL as _LIVE

ROOT_URLCONF = "tests.crowdwall.api.server_urls"
CROWDWALL = {
    **_LIVE,
    "API_TOKENS": {os.environ["CROWDWALL_TEST_API_TOKEN"]: "mod"},
    "API_ANON_RATE": None,
}
