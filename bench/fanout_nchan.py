"""nchan for the fanout benchmark: a minimal nginx (one worker) holding the subscriber sockets,
and the HTTP POST that publishes one frame to a channel.

nginx loads Debian's ``ngx_nchan_module.so``; ``/live/<channel>`` is the WebSocket subscriber,
``/pub/<channel>`` the publisher (loopback only). ``nchan_subscriber_first_message newest``: a
subscriber does not replay the backlog on connect (the benchmark connects everyone first).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.fixtures.nginx import MODULES


def nchan_config(port: int, prefix: Path) -> str:
    """A full nginx config serving nchan on ``port`` with its files under ``prefix``."""
    temp = "".join(
        f"    {kind}_temp_path {prefix / 'temp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""load_module {MODULES / "ngx_nchan_module.so"};
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
{temp}    nchan_shared_memory_size 64M;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location ~ ^/live/(.+)$ {{
            nchan_subscriber websocket;
            nchan_channel_id $1;
            nchan_subscriber_first_message newest;
        }}
        location ~ ^/pub/(.+)$ {{
            allow 127.0.0.1;
            deny all;
            nchan_publisher;
            nchan_channel_id $1;
            nchan_message_buffer_length 200;
            nchan_message_timeout 120s;
        }}
    }}
}}
"""


async def publish(client: httpx.AsyncClient, base: str, channel: str, text: str) -> None:
    """POST one message to ``channel``; nchan answers 201/202 once it is queued."""
    response = await client.post(f"{base}/pub/{channel}", content=text.encode())
    response.raise_for_status()
