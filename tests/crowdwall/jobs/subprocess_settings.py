"""Settings for job commands run as subprocesses: the SQLite file of ``stream_settings``, with
write transactions that take the lock when they begin (``IMMEDIATE``) and wait for it, as a
SQLite deployment with several writing processes should."""

from tests.crowdwall.stream_settings import *  # noqa: F403
from tests.crowdwall.stream_settings import DATABASES

DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
