"""Settings of the ASGI test server behind nginx+nchan: the live server's settings with the
nchan publisher (``CROWDWALL_TEST_NCHAN_URL``), crowdwall's pages and a test login."""

import os

from tests.crowdwall.live.server_settings import *  # noqa: F403
from tests.crowdwall.live.server_settings import CROWDWALL

ROOT_URLCONF = "tests.crowdwall.live.nchan.server_urls"
CROWDWALL = {
    **CROWDWALL,
    "PUBLISHER": "crowdwall.live.nchan.NchanPublisher",
    "LIVE_TRANSPORT": "nchan",
    "NCHAN_PUBLISH_URL": os.environ.get("CROWDWALL_TEST_NCHAN_URL", ""),
}
