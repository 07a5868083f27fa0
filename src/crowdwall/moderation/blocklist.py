"""The default blocklist: words that hold a post for review on walls that keep it switched on.

Deliberately short and unsurprising (strong profanity and the spam that follows event hashtags),
in keyword syntax (``word``, ``prefix*``, ``"exact phrase"``; case-insensitive). Matches are
held as *pending*, not rejected: a generic list has false positives that a moderator should see.
Walls switch it off with ``Wall.use_default_blocklist``; a site replaces it with
``CROWDWALL["BLOCKLIST"] = "mysite.moderation.WORDS"``; a wall adds its own ``BannedWord`` rows
(those reject outright).
"""

from __future__ import annotations

DEFAULT_BLOCKLIST: tuple[str, ...] = (
    # Profanity
    "fuck*",
    "motherfuck*",
    "shit",
    "shitty",
    "bullshit",
    "cunt*",
    "asshole*",
    "dickhead*",
    "wanker*",
    # Spam that latches onto trending hashtags
    '"crypto giveaway"',
    '"free crypto"',
    '"double your bitcoin"',
    '"send me btc"',
    "airdrop*",
    '"forex signals"',
    '"guaranteed profit"',
    '"guaranteed returns"',
    "onlyfans",
    '"dm me for promo"',
    '"buy followers"',
    '"cheap followers"',
)
