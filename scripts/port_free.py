"""Fails at once, with a clear message, when the demo's port is taken (``make demo PORT=N``).

    python3 scripts/port_free.py PORT [HOST]

Exit 0 when HOST:PORT (default 127.0.0.1) can be listened on; otherwise exit 1 with one line
saying so and what to do, instead of letting ``make demo`` print the URL of whatever else is
listening there. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import socket
import sys


def port_problem(port_text: str, host: str = "127.0.0.1") -> str | None:
    """Why the demo cannot listen on ``host:port_text``, or None when it can."""
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        return f"PORT must be a number from 1 to 65535, not {port_text!r}."
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: SO_REUSEADDR ignores connections in TIME_WAIT, not a listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1)
        except OSError as exc:
            return (
                f"Port {port} on {host} is already in use ({exc.strerror}): another program "
                f"is listening there. Stop it, or choose a free port: make demo PORT={port + 1}"
            )
    return None


def main(arguments: list[str]) -> int:
    if not 1 <= len(arguments) <= 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    problem = port_problem(*arguments)
    if problem:
        print(f"make demo: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
