"""Ingest posts while the web server is down: ``python -m tests.acceptance.site.offline SLUG``
with a JSON list of posts on stdin (the site's settings and database from the environment).

What a separate ``crowdwall stream`` process does during a web server restart: the posts land in
the database; pages that reconnect afterwards must catch up on them by themselves.
"""

from __future__ import annotations

import json
import sys


def main(slug: str) -> None:
    import django

    django.setup()
    from crowdwall.ingest.write import ingest
    from crowdwall.models import Source

    result = ingest(Source.objects.get(wall__slug=slug), json.load(sys.stdin))
    print(json.dumps({"created": result.created}))


if __name__ == "__main__":
    main(sys.argv[1])
