"""Static file finders for the development server that answer 404 to a path leaving their roots.

``manage.py runserver`` (Django's, and daphne's) serves ``/static/`` through
``StaticFilesHandler``, which turns only ``Http404`` into a response. For
``/static/..%2f..%2fetc/passwd`` the decoded path is ``../../etc/passwd``; Django's finders
refuse it by raising ``SuspiciousFileOperation`` (from ``safe_join``), which the handler lets
through, so the server answered 500. A path outside every static root names no static file:
these finders say "not found" instead, and the handler answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation


class _InsideRoots(finders.BaseFinder):
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        try:
            return super().find(path, find_all, **kwargs)
        except SuspiciousFileOperation:
            # What Django's finders answer for "no match" (``finders.find`` relies on it).
            return []


class FileSystemFinder(_InsideRoots, finders.FileSystemFinder):
    """``STATICFILES_DIRS``, as Django's finder, but a path leaving them is not found."""


class AppDirectoriesFinder(_InsideRoots, finders.AppDirectoriesFinder):
    """Each app's ``static/``, as Django's finder, but a path leaving them is not found."""
