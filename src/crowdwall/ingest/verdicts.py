"""The moderation state a matched post starts in on a wall: bans first, then the wall's mode.

============================  ==========================================================
wall ban on the author        rejected ("banned author")
wall banned word              rejected ("banned word: ...") — text, content warning, name
default blocklist word        pending ("blocklist: ...") — generic lists misfire; a human looks
mode ``open``                 approved
mode ``accounts_only``        approved for the wall's accounts, pending for everyone else
trusted author                approved ("auto-approved because @x is trusted")
boosted by a trusted account  approved ("boosted by @x (trusted)")
(later) favourited, liked,    approved by ``crowdwall.moderation.reactions`` ("auto-approved
boosted or reposted by one    because favourited by @x", "... liked by", "boosted by", "reposted by")
mode ``pre_approve``          pending
============================  ==========================================================

Trusted accounts (``TrustedAccount``, per wall) only skip the pre-approval queue: bans still
reject their posts and the default blocklist still holds them, since trust is in a person,
not in every post they boost. The reason is kept on the entry (``PostWall.reason``), so the
moderation screen says why nobody had to look; a moderator's later decision clears it.
"""

from __future__ import annotations

from crowdwall.ingest.match import Matcher, MatchInput, WallRules
from crowdwall.states import ModerationMode, ModerationState

# The members decide() returns and compares, read once: in Python 3.11 an enum class has a
# __getattr__, which makes every ``ModerationState.APPROVED`` a slow lookup (~1,000
# instructions; several a post).
_APPROVED, _PENDING, _REJECTED = (
    ModerationState.APPROVED,
    ModerationState.PENDING,
    ModerationState.REJECTED,
)
_OPEN, _ACCOUNTS_ONLY = ModerationMode.OPEN, ModerationMode.ACCOUNTS_ONLY


def ban_reason(wall: WallRules, post: MatchInput) -> str:
    """Why the wall's own bans reject this post ("" when they do not)."""
    if wall.banned_authors.contains(post.author_id, post.author_handle):
        return "banned author"
    if wall.banned_words:
        rule = wall.banned_words.find(post.body) or wall.banned_words.find(post.name)
        if rule is not None:
            return f"banned word: {rule.raw}"[:200]
    return ""


def decide(wall: WallRules, post: MatchInput) -> tuple[str, str]:
    """``(state, reason)`` for a post newly matched to ``wall``."""
    reason = ban_reason(wall, post)
    if reason:
        return _REJECTED, reason
    if wall.blocklist:
        # Every wall shares one compiled blocklist; its haystacks remember what it found.
        rule = wall.blocklist.find(post.body) or wall.blocklist.find(post.name)
        if rule is not None:
            return _PENDING, f"blocklist: {rule.raw}"[:200]
    if wall.moderation == _OPEN:
        return _APPROVED, ""
    if wall.moderation == _ACCOUNTS_ONLY and wall.accounts.contains(
        post.author_id, post.author_handle
    ):
        return _APPROVED, ""
    trust = trust_reason(wall, post)
    if trust:
        return _APPROVED, trust
    return _PENDING, ""


TRUSTED_BOOSTER = "boosted by "  # how a booster's approval reason starts (see jobs.reindex)
# What a trusted account did to a waiting post, as found later (crowdwall.moderation.reactions).
REACTION_VERBS = ("favourited", "liked", "boosted", "reposted")
_REACTION_PREFIXES = tuple(f"auto-approved because {verb} by @" for verb in REACTION_VERBS)


def reaction_reason(verb: str, handle: str) -> str:
    """The reason of a post approved because a trusted account ``verb`` it later."""
    return f"auto-approved because {verb} by @{handle.lstrip('@')}"[:200]


def kept_trust(reason: str) -> bool:
    """Whether an approval's reason names what nobody stores (a booster, a favourite...), so a
    re-check (``jobs.reindex``) cannot tell it again and keeps it while no ban covers the post."""
    return reason.startswith(TRUSTED_BOOSTER) or reason.startswith(_REACTION_PREFIXES)


def trust_reason(wall: WallRules, post: MatchInput) -> str:
    """Why a trusted account lets this post skip the queue ("" when none does)."""
    if not wall.trusted:
        return ""
    if wall.trusted.contains(post.author_id, post.author_handle):
        return f"auto-approved because @{post.author_handle or post.author_id} is trusted"[:200]
    if (post.booster_id or post.booster_handle) and wall.trusted.contains(
        post.booster_id, post.booster_handle
    ):
        return f"{TRUSTED_BOOSTER}@{post.booster_handle or post.booster_id} (trusted)"[:200]
    return ""


def decide_walls(matcher: Matcher, post: MatchInput) -> list[tuple[WallRules, str, str]]:
    """The walls ``post`` matches, each with the ``(state, reason)`` it starts in there."""
    return [(wall, *decide(wall, post)) for wall in matcher.match(post)]
