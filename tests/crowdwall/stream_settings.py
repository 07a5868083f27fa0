"""Settings for ``manage.py crowdwall`` run as a subprocess by the tests: a SQLite file database
named by ``CROWDWALL_TEST_DB`` instead of the in-memory one."""

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["CROWDWALL_TEST_DB"],
    }
}
