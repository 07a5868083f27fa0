"""Whether an account (or one post) asked not to be shown to people outside its network.

Framework-free: the rule the pipeline applies to every post (``opted_out``) and the flags it
reads. A wall never shows an opted-out post it found by hashtag or keyword; a wall that lists
the account under its ``accounts`` may show it anyway when the wall says so
(``Wall.followed_accounts_opt_in``): following someone by name is a deliberate choice, and the
account's owner can still ask for the never-show list (``crowdwall.models.NeverShow``).

**Mastodon** reports three flags on every account it sends with a status
(docs.joinmastodon.org/entities/Account; FEP-5feb for ``indexable``):

=================  =============================  =========================================
flag               meaning                        opted out when
=================  =============================  =========================================
``noindex``        keep my profile and posts out  ``true``
                   of search engines (4.0+)
``discoverable``   feature me in discovery:       ``false``
                   directory, trends, suggestions
``indexable``      my public posts may be found   ``false``
                   by full-text search (4.2+)
=================  =============================  =========================================

Any one of them opting out is enough: a big screen at an event puts a post in front of
strangers who never chose to follow its author, which is more exposure than any of the three
features the flags guard. A flag the server did not send (older servers, other software) is
*unknown*, and unknown is not a refusal: hashtags are public by design, and reading an absent
flag as "no" would hide every account of every server older than the flag.
(Mastodon 4.2 set ``indexable`` to false for accounts that existed before it, so many older
accounts are opted out by this rule until their owners choose otherwise. That is intended.)

**Bluesky**: the ``!no-unauthenticated`` self-label asks apps not to show the content to
logged-out viewers; a wall on a public screen is such a viewer. It is honoured on the post
record (``labels.values[].val``) and on the account's profile when a source knows it.
"""

from __future__ import annotations

from typing import Any

NO_UNAUTHENTICATED = "!no-unauthenticated"


def account_opted_out(
    *,
    noindex: bool | None = None,
    discoverable: bool | None = None,
    indexable: bool | None = None,
    no_unauthenticated: bool | None = None,
) -> bool:
    """Whether these account flags opt the account out of walls (``None``: not reported)."""
    return (
        noindex is True or discoverable is False or indexable is False or no_unauthenticated is True
    )


def author_opted_out(author: Any) -> bool:
    """``account_opted_out`` for anything with the four flags as attributes (an incoming author,
    an ``Author`` row): the same rule, read without building keyword arguments (it runs for
    every post, twice)."""
    return (
        author.noindex is True
        or author.discoverable is False
        or author.indexable is False
        or author.no_unauthenticated is True
    )


def has_opt_out_label(values: object) -> bool:
    """Whether an atproto ``labels.values`` list carries ``!no-unauthenticated``."""
    if not isinstance(values, list):
        return False
    return any(isinstance(v, dict) and v.get("val") == NO_UNAUTHENTICATED for v in values)
