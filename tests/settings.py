"""Settings for the test suite: embedded defaults; fixtures swap CACHES per backend.

herdcache's part is tests/herdcache_settings.py (also used alone, without crowdwall installed).
"""

import tempfile

from tests.herdcache_settings import *  # noqa: F403
from tests.herdcache_settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "crowdwall"]
ROOT_URLCONF = "tests.urls"
# Replay files written by tests live under the temporary directory (pytest's tmp_path). A test
# that sets CROWDWALL keeps this with {**settings.CROWDWALL, ...} when it streams such a file.
CROWDWALL = {
    "REPLAY_DIRS": [tempfile.gettempdir()],
    # The fake servers listen on loopback: the console may test sources there.
    "SOURCE_TEST_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],
}
