"""Keep a Mastodon list in sync with a wall's tracked accounts (``manage.py crowdwall lister``).

A list on the source's server (``GET/POST /api/v1/lists``, with the source's user token) gets
exactly the accounts the wall tracks (``Wall.accounts`` plus the source's ``accounts``), so
people can follow the wall's speakers from their own app. One run:

1. find the list by title, or create it;
2. read the list's members (``GET /api/v1/lists/:id/accounts``, following ``Link`` pages);
3. resolve each tracked account that is not a member yet to the server's account id: ids
   (checked with ``GET /api/v1/accounts/:id``), ``@user@host`` handles and actor/profile URLs
   with ``GET /api/v1/accounts/lookup?acct=``; unresolvable ones are reported, never fatal;
4. follow the missing accounts the token's user does not follow yet (Mastodon only lists
   accounts you follow, or have asked to follow), then add them (``POST
   /api/v1/lists/:id/accounts`` with ``account_ids[]``, in one request; if the server refuses
   the batch, one by one, so one bad account is reported and the others still land);
5. remove the members the wall no longer tracks (``DELETE`` with ``account_ids[]``).

``dry_run`` reads and reports, and changes nothing. Rate limits: reads go through
``MastodonClient`` (one request at a time, ``X-RateLimit-*`` obeyed), writes follow the same
rules here; a 429 is honoured (``Retry-After``, else the reset) only up to ``max_wait``
seconds — a command should fail with a clear message rather than hang for a quarter hour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from crowdwall.exceptions import SourceError
from crowdwall.sources.base import Backoff
from crowdwall.sources.mastodon.client import MastodonClient, MastodonHTTPError, retry_after

logger = logging.getLogger("crowdwall.sources.mastodon")

MAX_WAIT = 60.0  # default bound on one rate-limit wait (seconds)
_PAGE = 80  # list members per page (Mastodon's maximum)
_RELATIONSHIPS = 40  # ids per relationships request


NO_TOKEN = (
    "Lists belong to a user: the source needs an access token (its secret) with the "
    "read:lists, write:lists, read:follows and write:follows scopes."
)


class ListerError(SourceError):
    """The list cannot be synced at all (no token, refused, rate limited for too long)."""


@dataclass
class Member:
    """A tracked entry resolved to the server's account."""

    entry: str  # as the wall or source names it
    id: str
    acct: str


@dataclass
class ListSync:
    """What a run did (or, with ``dry_run``, would do)."""

    title: str
    list_id: str | None = None
    created: bool = False
    added: list[Member] = field(default_factory=list)
    removed: list[Member] = field(default_factory=list)
    unchanged: list[Member] = field(default_factory=list)
    followed: list[Member] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (entry, why)
    failed: list[tuple[Member, str]] = field(default_factory=list)  # not added: (member, why)
    dry_run: bool = False


def tracked_accounts(wall_accounts: Iterable[str], source_accounts: Iterable[str]) -> list[str]:
    """The accounts a wall tracks on a source, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in [*wall_accounts, *source_accounts]:
        value = str(value).strip()
        if value and value.lower() not in {k.lower() for k in seen}:
            seen[value] = None
    return list(seen)


def acct_of(entry: str) -> str | None:
    """The ``user@host`` to look up for a handle or an actor/profile URL (None: not one)."""
    if entry.startswith(("https://", "http://")):
        parts = urlsplit(entry)
        path = [p for p in parts.path.split("/") if p]
        # Mastodon's actor URIs (/users/NAME) and profile URLs (/@NAME).
        if len(path) == 2 and path[0] == "users":
            return f"{path[1]}@{parts.hostname}"
        if len(path) == 1 and path[0].startswith("@"):
            return f"{path[0][1:]}@{parts.hostname}"
        return None
    handle = entry.lstrip("@")
    return handle if handle and " " not in handle else None


class Lister:
    """Syncs one list on one server; ``client`` reads, ``self._send`` writes."""

    def __init__(
        self,
        client: MastodonClient,
        *,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if not client.token:
            raise ListerError(NO_TOKEN)
        self.client = client
        self.max_wait = max_wait
        self._sleep = sleep

    async def bounded_sleep(self, seconds: float) -> None:
        """Sleep for a rate limit, unless that is longer than ``max_wait`` (then fail)."""
        if seconds > self.max_wait:
            raise ListerError(
                f"{self.client.host} is rate limiting us for {seconds:.0f} s (more than "
                f"{self.max_wait:.0f} s); try again later."
            )
        await self._sleep(seconds)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.client.get(path, params)).data

    async def _send(self, method: str, path: str, *, form: Any = None, params: Any = None) -> Any:
        """POST/DELETE with the reads' rules: 429 waits (bounded), 5xx and network errors
        retry with a backoff, other 4xx raise ``MastodonHTTPError``."""
        url = self.client.instance + path
        headers = self.client.auth_headers()
        body = None
        if form is not None:  # Rails reads ``account_ids[]`` repeated from a plain form
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        failures = 0
        while True:
            try:
                response = await self.client.http.request(
                    method, url, content=body, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 429:
                    delay = retry_after(response.headers)
                    await self.bounded_sleep(delay if delay and delay > 0 else 1.0)
                    continue
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        return None
                if response.status_code < 500:
                    raise MastodonHTTPError(response.status_code, url, _error(response))
                problem = f"HTTP {response.status_code}"
            failures += 1
            if failures > self.client.retries:
                raise ListerError(f"{method} {url} failed {failures} times: {problem}")
            logger.warning("%s %s: %s; retrying", method, url, problem)
            await self.client.backoff.wait()

    # The steps ------------------------------------------------------------------------------

    async def find_list(self, title: str) -> str | None:
        lists = await self.get("/api/v1/lists")
        if not isinstance(lists, list):
            raise ListerError(f"{self.client.host}: /api/v1/lists did not answer a list.")
        for exact in (True, False):
            for item in lists:
                name = str(item.get("title", ""))
                if name == title if exact else name.casefold() == title.casefold():
                    return str(item["id"])
        return None

    async def resolve(self, entry: str) -> Member | str:
        """The member for ``entry``, or why it cannot be found on this server."""
        try:
            if entry.isdigit():
                account = await self.get(f"/api/v1/accounts/{entry}")
            else:
                acct = acct_of(entry)
                if acct is None:
                    return "not an account id, @handle or profile URL"
                if acct.endswith("@" + self.client.host):
                    acct = acct.rsplit("@", 1)[0]  # local accounts are looked up bare
                account = await self.get("/api/v1/accounts/lookup", {"acct": acct})
        except MastodonHTTPError as exc:
            if exc.status in (404, 410):
                return f"not found on {self.client.host}"
            raise
        if not isinstance(account, dict) or not account.get("id"):
            return "the server answered no account"
        return Member(entry, str(account["id"]), str(account.get("acct") or entry))

    async def members(self, list_id: str) -> list[Member]:
        found: list[Member] = []
        target: str | None = f"/api/v1/lists/{list_id}/accounts"
        params: dict[str, Any] | None = {"limit": _PAGE}
        while target:
            page = await self.client.get(target, params)
            found += [Member(str(a["acct"]), str(a["id"]), str(a["acct"])) for a in page.data]
            target, params = page.links.get("next"), None
            if not page.data:
                break
        return found

    async def unfollowed(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the token's user neither follows nor has asked to follow."""
        missing: set[str] = set()
        for start in range(0, len(ids), _RELATIONSHIPS):
            chunk = ids[start : start + _RELATIONSHIPS]
            rows = await self.get("/api/v1/accounts/relationships", {"id[]": chunk})
            known = {str(r["id"]): r for r in rows if isinstance(r, dict) and "id" in r}
            for account_id in chunk:
                row = known.get(account_id, {})
                if not (row.get("following") or row.get("requested")):
                    missing.add(account_id)
        return missing

    async def add(self, list_id: str, members: list[Member], result: ListSync) -> None:
        """Add ``members`` in one request; if the server refuses the batch (one account it
        will not list fails them all), one by one, recording which ones it refuses."""
        form = [("account_ids[]", m.id) for m in members]
        try:
            await self._send("POST", f"/api/v1/lists/{list_id}/accounts", form=form)
        except MastodonHTTPError as exc:
            if exc.status not in (404, 422):
                raise
            if len(members) == 1:
                result.failed.append((members[0], str(exc)))
                return
            for member in members:
                await self.add(list_id, [member], result)
            return
        result.added += members

    async def sync(
        self, title: str, accounts: Iterable[str], *, dry_run: bool = False, follow: bool = True
    ) -> ListSync:
        """Make the list ``title`` hold exactly ``accounts`` (see the module docstring)."""
        result = ListSync(title=title, dry_run=dry_run)
        result.list_id = await self.find_list(title)
        if result.list_id is None:
            result.created = True
            if not dry_run:
                created = await self._send("POST", "/api/v1/lists", form={"title": title})
                result.list_id = str(created["id"])
        current = {m.id: m for m in await self.members(result.list_id)} if result.list_id else {}
        # Members already on the list need no lookup: a steady-state run costs a few requests.
        by_acct = {m.acct.casefold(): m for m in current.values()}
        wanted: dict[str, Member] = {}
        for entry in accounts:
            acct = acct_of(entry) if not entry.isdigit() else None
            known = current.get(entry) or (by_acct.get(acct.casefold()) if acct else None)
            resolved = known or await self.resolve(entry)
            if isinstance(resolved, str):
                result.unknown.append((entry, resolved))
            else:
                wanted.setdefault(resolved.id, resolved)
        missing = [m for account_id, m in wanted.items() if account_id not in current]
        result.removed = [m for account_id, m in current.items() if account_id not in wanted]
        result.unchanged = [m for account_id, m in wanted.items() if account_id in current]
        if dry_run or result.list_id is None:
            result.added = missing
            return result
        if missing and follow:
            need = await self.unfollowed([m.id for m in missing])
            for member in missing:
                if member.id in need:
                    await self._send("POST", f"/api/v1/accounts/{member.id}/follow")
                    result.followed.append(member)
        if missing:
            await self.add(result.list_id, missing, result)
        if result.removed:
            params = [("account_ids[]", m.id) for m in result.removed]
            await self._send("DELETE", f"/api/v1/lists/{result.list_id}/accounts", params=params)
        return result


async def sync_list(
    instance: str,
    token: str,
    title: str,
    accounts: Iterable[str],
    *,
    dry_run: bool = False,
    follow: bool = True,
    max_wait: float = MAX_WAIT,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> ListSync:
    """Sync the list ``title`` on ``instance`` with ``accounts`` using ``token``."""
    if not token:
        raise ListerError(NO_TOKEN)
    holder: dict[str, Lister] = {}

    async def wait(seconds: float) -> None:  # the client's rate-limit waits, bounded
        await holder["lister"].bounded_sleep(seconds)

    client = MastodonClient(
        instance, token=token, retries=3, backoff=Backoff(0.5, 10.0, sleep=sleep), sleep=wait
    )
    try:
        holder["lister"] = Lister(client, max_wait=max_wait, sleep=sleep)
        return await holder["lister"].sync(title, accounts, dry_run=dry_run, follow=follow)
    finally:
        await client.aclose()


def _error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    return str(data.get("error", ""))[:200] if isinstance(data, dict) else ""
