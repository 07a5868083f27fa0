"""Who favourited and who boosted a status: ``GET /api/v1/statuses/:id/favourited_by`` and
``/reblogged_by`` on the source's server.

Both are public (the source's token is sent when it has one: a server that requires it for
timelines may for these too) and answer a list of accounts, newest first, paged by ``Link:
rel="next"`` (``limit`` at most 80). Only ``pages`` pages of each list are read: a post that
needs more has plenty of reactions, and the newest are the ones that matter here. The server
knows the reactions of its own users and of those whose activities reached it, so a trusted
account on another server is found once its favourite has federated.

Requests go through ``MastodonClient`` (one at a time, rate limits obeyed) without its own
retries: a failure is reported at once (``ReactionsUnavailable`` for 5xx, timeouts and the
network; ``ReactionsError`` for a refusal such as 404 on a deleted status), and the caller
asks again later.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from crowdwall.exceptions import InvalidPost, SourceDisconnected, SourceError
from crowdwall.sources.mastodon.client import MastodonClient, MastodonHTTPError
from crowdwall.sources.mastodon.statuses import to_author
from crowdwall.sources.reactions import ReactionsError, ReactionsUnavailable, Reactor

PAGE_LIMIT = 80  # Mastodon's maximum for these two lists
LISTS = (("favourited", "favourited_by"), ("boosted", "reblogged_by"))


class MastodonReactions:
    """The reactions adapter of one Mastodon source (``instance``, optional ``token``)."""

    def __init__(
        self,
        instance: str,
        *,
        token: str = "",
        pages: int = 2,
        timeout: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.pages = pages
        self.client = MastodonClient(instance, token=token, timeout=timeout, retries=0, http=http)

    async def reactors(self, external_id: str) -> list[Reactor]:
        """Who favourited and who boosted status ``external_id`` (its id on this server)."""
        found: list[Reactor] = []
        for verb, name in LISTS:
            target: str | None = f"/api/v1/statuses/{quote(external_id, safe='')}/{name}"
            params: dict[str, int] | None = {"limit": PAGE_LIMIT}
            for _page in range(self.pages):
                if target is None:
                    break
                try:
                    response = await self.client.get(target, params)
                except SourceDisconnected as exc:
                    raise ReactionsUnavailable(str(exc)) from exc
                except (MastodonHTTPError, SourceError) as exc:  # refused, or an off-server link
                    raise ReactionsError(str(exc)) from exc
                if not isinstance(response.data, list):
                    raise ReactionsError(f"{name} of {external_id}: not a list of accounts")
                for account in response.data:
                    try:
                        author = to_author(account, self.client.host)
                    except InvalidPost:
                        continue  # one odd account does not hide the others
                    found.append(Reactor(verb, author.id, author.handle))
                # Link's next page repeats the query (limit, max_id): follow it as it is.
                target = response.links.get("next") if response.data else None
                params = None
        return found

    async def aclose(self) -> None:
        await self.client.aclose()
