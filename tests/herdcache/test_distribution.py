"""The herdcache distribution (packages/herdcache) installs and works without crowdwall.

The slow test builds the wheel, installs it alone (plus herdcache's test tools, pinned as in the
root pyproject) into a fresh venv, and runs herdcache's suite there against the installed wheel
with herdcache-only settings (packages/herdcache/pytest.ini): a crowdwall dependency creeping into
herdcache, or a file missing from the wheel, fails it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import herdcache

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "packages" / "herdcache"
SOURCE = ROOT / "src" / "herdcache"
# What herdcache's tests need besides the wheel and its extras' clients: tests/herdcache/edge runs
# Django under gunicorn, talks to nginx with httpx, and passes a WebSocket through it (websockets is
# a test tool here; herdcache itself never imports it).
TEST_TOOLS = (
    "pytest", "pytest-django", "pytest-timeout", "hypothesis", "httpx", "gunicorn", "websockets",
)  # fmt: skip
CLIENTS = ("Django", "pymemcache", "redis", "pylibmc")
# Load tests of the same code (many processes, 200,000 rows): the main suite runs them against the
# source; here they would test timing on a busy machine, not packaging, and double the run time.
HEAVY = (
    "--ignore", "tests/herdcache/test_stampede.py",
    "--deselect", "tests/herdcache/test_lifecycle.py::test_a_crawler_of_random_query_strings",
)  # fmt: skip


def _root_pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _root_pins() -> dict[str, str]:
    """Every ``name==version`` of the root pyproject (dependencies and extras), by lower name."""
    project = _root_pyproject()["project"]
    requirements = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?==(\S+)", requirement)
        if match:
            pins[match[1].lower()] = f"{match[1]}=={match[3]}"
    return pins


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_crowdwall_pins_this_herdcache_exactly():
    """The root distribution depends on the herdcache built from this checkout, by version."""
    assert f"herdcache=={herdcache.__version__}" in _root_pyproject()["project"]["dependencies"]


def test_only_crowdwall_is_packaged_by_the_root():
    """herdcache ships from packages/herdcache alone: two wheels never both install it."""
    found = _root_pyproject()["tool"]["setuptools"]["packages"]["find"]
    assert found["include"] == ["crowdwall*"]


def test_the_changelog_describes_this_version():
    changelog = (PROJECT / "CHANGELOG.md").read_text()
    assert f"\n## {herdcache.__version__}\n" in changelog


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
    """Run a command; on failure the assertion shows its output."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy with the symlink resolved (so no build/ or egg-info lands in the checkout)."""
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT,
        project,
        ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info"),
    )
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", project, "-w", tmp_path / "dist",
         cwd=tmp_path)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("herdcache-*.whl")
    return wheel


def _source_files() -> set[str]:
    """Every file of src/herdcache a site needs: modules, templates, migrations, py.typed."""
    return {
        f"herdcache/{path.relative_to(SOURCE).as_posix()}"
        for path in SOURCE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.mark.slow
def test_the_herdcache_wheel_alone_passes_herdcache_suite(tmp_path):
    wheel = _build_wheel(tmp_path)
    assert wheel.name == f"herdcache-{herdcache.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("herdcache/")}
        metadata = archive.read(f"herdcache-{herdcache.__version__}.dist-info/METADATA").decode()
    assert _source_files() - packaged == set()
    assert not any(name.startswith("crowdwall") for name in packaged)
    required = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert [line for line in required if "extra ==" not in line] == [
        "Requires-Dist: Django<6,>=5.2"
    ]

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    pins = _root_pins()
    crowdwall_only = {_normalize(name) for name in pins} - {
        _normalize(n) for n in ("herdcache", *CLIENTS)
    }
    assert crowdwall_only >= {"channels", "django-ninja", "nh3", "feedparser", "rich", "websockets"}

    def installed() -> set[str]:
        listed = _run(python, "-m", "pip", "list", "--format=json", cwd=tmp_path).stdout
        return {_normalize(package["name"]) for package in json.loads(listed)}

    # The wheel with every extra: nothing of crowdwall, neither the package nor its dependencies.
    _run(python, "-m", "pip", "install", "-q", f"{wheel}[pymemcache,redis,pylibmc]",
         *(pins[name.lower()] for name in CLIENTS), cwd=tmp_path)  # fmt: skip
    assert installed() & (crowdwall_only | {"crowdwall"}) == set()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env |= {"PYTHONPATH": str(ROOT), "VIRTUAL_ENV": str(venv)}
    probe = (
        "import importlib.util as u, herdcache; print(herdcache.__file__, u.find_spec('crowdwall'))"
    )
    where, crowdwall = _run(python, "-c", probe, cwd=tmp_path, env=env).stdout.split()
    assert Path(where).is_relative_to(venv) and crowdwall == "None"

    # Then what the tests need, and still no crowdwall (nor its browser tests' playwright).
    _run(python, "-m", "pip", "install", "-q", *(pins[name.lower()] for name in TEST_TOOLS),
         cwd=tmp_path)  # fmt: skip
    tools = {_normalize(name) for name in TEST_TOOLS}
    assert installed() & ((crowdwall_only - tools) | {"crowdwall", "playwright"}) == set()

    # herdcache's suite, run by the venv's pytest against the installed wheel.
    del env["PYTHONPATH"]  # the ini puts the repository root (for `tests`) on sys.path, not src/
    result = subprocess.run(
        [python, "-m", "pytest", "-c", PROJECT / "pytest.ini", "--rootdir", ROOT, "-q",
         "--ignore", Path(__file__), *HEAVY, "tests/herdcache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert re.search(r"\b\d{3,} passed\b", result.stdout), result.stdout[-2000:]
