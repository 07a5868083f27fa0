"""django-fancy-cache's own test suite, ported to run against ``herdcache.contrib.fancy``.

Ported from django-fancy-cache 1.3.1 (https://github.com/peterbe/django-fancy-cache),
Copyright (c) Peter Bengtsson, BSD-3-Clause: see LICENSE-django-fancy-cache beside this file.
Tests of fancy-cache's internal storage format are skipped with their reason and listed in
docs/compatibility.md ("django-fancy-cache").
"""
