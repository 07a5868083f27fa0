"""Who reacted to a post at its source: the types every reactions adapter shares.

A trusted account that favourites or boosts a post *after* it reached the wall's queue lets it
through (``crowdwall.moderation.reactions``). Each network is asked through its own adapter,
with one method, ``reactors(external_id)``, and one way to fail:

- ``crowdwall.sources.mastodon.reactions.MastodonReactions``: ``favourited_by`` and
  ``reblogged_by`` of a status on the source's server;
- ``crowdwall.sources.bluesky_reactions.BlueskyReactions``: ``app.bsky.feed.getLikes`` and
  ``getRepostedBy`` of a post on the public AppView.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from crowdwall.exceptions import SourceError

__all__ = ["ReactionReader", "ReactionsError", "ReactionsUnavailable", "Reactor"]


@dataclass(frozen=True, slots=True)
class Reactor:
    """One account's reaction: ``verb`` is "favourited", "liked", "boosted" or "reposted";
    ``account_id`` the stable id authors are keyed by (actor URI, DID), ``handle`` without "@"."""

    verb: str
    account_id: str
    handle: str


class ReactionsError(SourceError):
    """This post's reactions could not be read (refused, gone, an answer of the wrong shape)."""


class ReactionsUnavailable(ReactionsError):
    """The server could not answer at all (5xx, timeout, network): ask it nothing more now."""


class ReactionReader(Protocol):
    """A reactions adapter for one source."""

    async def reactors(self, external_id: str) -> list[Reactor]:
        """Everyone who reacted to the post (as far as the bounded paging reads)."""
        ...

    async def aclose(self) -> None:
        """Close the adapter's HTTP client."""
        ...
