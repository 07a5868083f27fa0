"""Settings for ``manage.py crowdwall`` run as a subprocess by the tests: a SQLite file database
named by ``CROWDWALL_TEST_DB`` instead of the in-memory one."""

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["CROWDWALL_TEST_DB"],
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},  # as the example project (README)
    }
}

# The signal tests run once with prepare workers taking every batch (``PREPARE_MIN_BATCH``: 1).
CROWDWALL = {
    "PREPARE_PROCESSES": int(os.environ.get("CROWDWALL_TEST_PREPARE_PROCESSES", "0")),
    "PREPARE_MIN_BATCH": int(os.environ.get("CROWDWALL_TEST_PREPARE_MIN_BATCH", "100")),
    # The tests write their replay files beside the database.
    "REPLAY_DIRS": [os.path.dirname(os.path.abspath(os.environ["CROWDWALL_TEST_DB"]))],
}
