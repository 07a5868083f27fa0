"""A second process writing rows through the ORM (test_tracking_processes.py).

    python -m tests.herdcache.trackapp.writer PK=PRICE [PK=PRICE ...]

Each pair is one ``update()`` committed in its own transaction.
"""

from __future__ import annotations

import os
import sys


def main(pairs: list[str]) -> None:
    """Set each named item's price, one committed transaction per item."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.herdcache.trackapp.writer_settings")
    import django

    django.setup()
    from django.db import transaction

    from tests.herdcache.trackapp.models import Item

    for pair in pairs:
        pk, price = (int(part) for part in pair.split("="))
        with transaction.atomic():
            Item.objects.filter(pk=pk).update(price=price)


if __name__ == "__main__":
    main(sys.argv[1:])
