"""nchan for the fanout benchmark: a minimal nginx (one worker) holding the subscriber sockets,
and the publisher process, ``python -m bench.fanout_nchan``: crowdwall's ``NchanPublisher`` as
shipped (background sender, bursts coalesced within ``LIVE_COALESCE_MS``) on the fanout site's
settings (``FANOUT_NCHAN_URL``: where it POSTs; ``FANOUT_COALESCE_MS``: the window, default 50).
It reads ``SEQ T`` lines (sequence number, publish time in epoch seconds) on stdin, publishes each
as one ingest event of a new post on the wall ``bench``, and at the end of stdin sends what is
queued and prints its counters as one JSON line. A process of its own: Django may already be set
up in the bench process with another benchmark's settings.

nginx loads Debian's ``ngx_nchan_module.so``; ``/live/<channel>`` is the WebSocket subscriber,
``/pub/<channel>`` the publisher (loopback only). ``nchan_subscriber_first_message newest``: a
subscriber does not replay the backlog on connect (the benchmark connects everyone first).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.fanout_site")
    import django

    django.setup()
    from bench.fanout_publish import FILLER
    from bench.fanout_site import SLUG
    from crowdwall.ingest.publisher import Event, EventKind
    from crowdwall.live.nchan import NchanPublisher
    from crowdwall.models import ModerationState

    publisher = NchanPublisher()  # NCHAN_PUBLISH_URL and LIVE_COALESCE_MS from the settings
    print("ready", flush=True)
    for line in sys.stdin:
        seq, t = line.split()
        post = {"id": int(seq), "seq": int(seq), "t": float(t), "html": f"<p>{FILLER}</p>"}
        walls = {SLUG: ModerationState.APPROVED}
        publisher.publish(Event(EventKind.NEW, int(seq), walls, post=post))
    flushed = publisher.close(timeout=60)
    counters = {"sent": publisher.sent, "errors": publisher.errors, "dropped": publisher.dropped}
    print(json.dumps({**counters, "flushed": flushed}), flush=True)


if __name__ == "__main__":
    main()
