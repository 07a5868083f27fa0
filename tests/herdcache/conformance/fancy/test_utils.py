"""fancy-cache's utils tests: only ``filter_remembered_urls``, a helper over its storage format.

Ported from django-fancy-cache 1.3.1 fancy_tests/tests/test_utils.py, Copyright (c) Peter
Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache).
"""

import pytest

from tests.herdcache.conformance.fancy.conftest import STORAGE_FORMAT


@pytest.mark.skip(
    reason=STORAGE_FORMAT.format(what="filter_remembered_urls drops expired (key, expiry) tuples")
)
def test_filter_remembered_urls():
    """fancy-cache filtered expired entries out of its REMEMBERED_URLS dict."""
