"""``make demo PORT=N`` fails at once with a clear message when the port is taken
(``scripts/port_free.py``, run before anything else), instead of printing the URL of whatever
else is listening there."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "port_free.py"


@pytest.fixture
def taken() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def check(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_taken_port_is_refused_with_what_to_do(taken: int):
    result = check(str(taken))
    assert result.returncode == 1
    assert f"make demo: Port {taken} on 127.0.0.1 is already in use" in result.stderr
    assert f"make demo PORT={taken + 1}" in result.stderr


def test_a_free_port_passes():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert check(str(port)).returncode == 0  # closed again: free


@pytest.mark.parametrize("bad", ["abc", "0", "70000", ""])
def test_a_port_that_is_not_one_is_refused(bad: str):
    result = check(bad)
    assert result.returncode == 1 and "PORT must be a number from 1 to 65535" in result.stderr


def test_make_demo_stops_at_once_on_a_taken_port(taken: int, tmp_path: Path):
    started = time.monotonic()
    # -n would not run the check: run make for real, but with a venv path it must never reach.
    result = subprocess.run(
        ["make", "-C", str(ROOT), "demo", f"PORT={taken}", f"VENV={tmp_path / 'venv'}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"Port {taken} on 127.0.0.1 is already in use" in result.stderr
    assert not (tmp_path / "venv").exists()  # nothing installed, nothing started
    assert time.monotonic() - started < 30
