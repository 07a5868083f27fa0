"""Purge nginx's local proxy_cache tier (the generated config's ``PURGE`` location).

Each nginx node keeps its own short-lived copy keyed by ``$host$request_uri``; a purge sends
``PURGE <request_uri>`` with the page's Host to every node in ``EDGE_PURGE_NODES`` over one
keep-alive connection per node. 200: purged, 404: nothing cached there. A node that is down is
logged and skipped: its copy still expires with the local TTL.

The request target goes out byte for byte (http.client would refuse or re-encode non-ASCII
targets, and a re-encoded target is another cache key).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

logger = logging.getLogger("herdcache")


def purge(
    nodes: Iterable[str],
    targets: Iterable[tuple[str, str]],
    timeout: float = 2.0,
    *,
    failed_nodes: list[str] | None = None,
) -> int:
    """Send PURGE for each ``(host, request_uri)`` to each node; return how many were purged.

    Nodes that could not be reached are appended to ``failed_nodes`` (for the purge log).
    """
    targets = list(targets)
    purged = 0
    for node in nodes:
        parts = urlsplit(node if "://" in node else f"http://{node}")
        try:
            with socket.create_connection(
                (parts.hostname, parts.port or 80), timeout=timeout
            ) as sock:
                reader = sock.makefile("rb")
                for host, uri in targets:
                    target = uri.encode("latin-1", "replace")
                    if b"\r" in target or b"\n" in target or b" " in target:
                        continue  # nginx never cached such a request line
                    sock.sendall(
                        b"PURGE "
                        + target
                        + b" HTTP/1.1\r\nHost: "
                        + host.encode("idna")
                        + b"\r\n\r\n"
                    )
                    purged += _read_status(reader) == 200
        except (OSError, ValueError, UnicodeError) as exc:
            logger.warning("herdcache: local tier purge on %s failed (%s)", node, exc)
            if failed_nodes is not None:
                failed_nodes.append(node)
    return purged


def _read_status(reader) -> int:
    """Read one HTTP/1.1 response (status, headers, Content-Length body); return the status."""
    status_line = reader.readline()
    if not status_line:
        raise OSError("connection closed")
    status = int(status_line.split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    reader.read(length)
    return status
