"""``import herdcache`` and its public names work before Django is set up (README promise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import herdcache

SRC = Path(herdcache.__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(SRC)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("name", herdcache.__all__)
def test_public_names_import_without_settings(name):
    """A settings-free script can name every public function."""
    result = _run(f"import herdcache; assert callable(herdcache.{name}); print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_decorating_a_view_before_apps_are_ready():
    """An app's ``__init__``/views module imported during ``django.setup()``: no models touched."""
    code = (
        "import django.conf, herdcache\n"
        "django.conf.settings.configure(INSTALLED_APPS=['herdcache'])\n"
        "from herdcache.middleware import CacheMiddleware\n"
        "@herdcache.cache_page(60)\n"
        "def view(request): pass\n"
        "@herdcache.cached(60)\n"
        "def f(): pass\n"
        "import sys; assert 'herdcache.models' not in sys.modules, 'models imported'\n"
        "print('ok')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
