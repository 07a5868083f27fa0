"""fancy-cache's ``fancy-urls`` command tests against ``herdcache.contrib.fancy``.

Ported from django-fancy-cache 1.3.1 fancy_tests/tests/test_command.py, Copyright (c) Peter
Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache). Changed: unittest to pytest; the four
pages are cached through a view instead of written into fancy-cache's REMEMBERED_URLS dict.
"""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_fancyurls_command(urls):
    out = StringIO()
    call_command("fancy-urls", verbosity=3, stdout=out)
    assert "4 URLs cached" in out.getvalue()


def test_purge_command(urls):
    out = StringIO()
    # Note: first call will show 4 URLs, so call again to confirm deletion
    call_command("fancy-urls", "--purge")
    call_command("fancy-urls", verbosity=3, stdout=out)
    assert "0 URLs cached" in out.getvalue()
