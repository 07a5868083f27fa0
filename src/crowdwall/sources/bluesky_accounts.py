"""Where the Bluesky source keeps the accounts whose profile carries ``!no-unauthenticated``.

The Jetstream filter tracks the label in memory (``bluesky_events.JetstreamFilter.labelled``);
an ``AccountLabels`` store gives it the accounts known at start and applies the changes it sees:
``DatabaseLabels`` reads and updates the ``Author`` rows and takes a newly labelled account's
posts off the walls (``crowdwall.ingest.withdraw.withdraw_accounts``), in the thread the
runner stores batches in. Tests use an in-memory store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from asgiref.sync import sync_to_async


class AccountLabels(Protocol):
    """The accounts labelled ``!no-unauthenticated``, by DID."""

    async def labelled(self, limit: int) -> list[str]:
        """At most ``limit`` DIDs known to carry the label (the most recent first)."""
        ...

    async def apply(self, changes: Mapping[str, bool]) -> None:
        """Record that these DIDs gained (True) or lost (False) the label."""
        ...


class DatabaseLabels:
    """``AccountLabels`` on the ``Author`` rows (the source's default)."""

    async def labelled(self, limit: int) -> list[str]:
        """At most ``limit`` DIDs whose author row carries the label."""
        from crowdwall.ingest.withdraw import labelled_accounts  # needs the app registry

        return await sync_to_async(labelled_accounts, thread_sensitive=True)("did:", limit)

    async def apply(self, changes: Mapping[str, bool]) -> None:
        """Update the author rows and withdraw the posts of the newly labelled accounts."""
        from crowdwall.ingest.withdraw import withdraw_accounts

        await sync_to_async(withdraw_accounts, thread_sensitive=True)(dict(changes))
