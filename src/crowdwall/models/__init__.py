"""crowdwall's models: walls and their sources, posts and the walls they appear on, bans,
stored aggregates, the never-show list, the moderation audit log, posts that failed to store (quarantine), event schedules and their talks, and the
completion log of maintenance jobs.

See ``crowdwall.models.posts`` for why a post and a wall meet in ``PostWall``.
"""

from crowdwall.models.aggregates import AuthorWallCount, WallAggregate
from crowdwall.models.analytics import (
    WallAuthorTotal,
    WallDayAuthor,
    WallHour,
    WallHourAuthor,
    WallHourTag,
    WallHourWait,
    WallMinute,
    WallMinuteAuthor,
    WallMinuteTag,
    WallMinuteWait,
    WallRollupMark,
    WallTagTotal,
)
from crowdwall.models.audit import ModerationAction, ModerationLog
from crowdwall.models.bans import BannedAuthor, BannedWord
from crowdwall.models.consent import NeverShow
from crowdwall.models.jobs import JobChunk, JobRun
from crowdwall.models.posts import Author, ModerationState, Post, PostWall
from crowdwall.models.quarantine import QuarantinedPost
from crowdwall.models.reactions import ReactionCheck
from crowdwall.models.roles import Role, TrustedAccount, WallRole
from crowdwall.models.schedule import TALK_FILTERS, Schedule, Talk
from crowdwall.models.screens import (
    OverlayBackground,
    OverlayPosition,
    OverlaySize,
    ScreenLayout,
    ScreenTheme,
    Slide,
)
from crowdwall.models.walls import ModerationMode, Source, Wall

__all__ = [
    "TALK_FILTERS",
    "Author",
    "AuthorWallCount",
    "BannedAuthor",
    "BannedWord",
    "JobChunk",
    "JobRun",
    "ModerationAction",
    "ModerationLog",
    "ModerationMode",
    "ModerationState",
    "NeverShow",
    "OverlayBackground",
    "OverlayPosition",
    "OverlaySize",
    "Post",
    "PostWall",
    "QuarantinedPost",
    "ReactionCheck",
    "Role",
    "Schedule",
    "ScreenLayout",
    "ScreenTheme",
    "Slide",
    "Source",
    "Talk",
    "TrustedAccount",
    "Wall",
    "WallAggregate",
    "WallAuthorTotal",
    "WallDayAuthor",
    "WallHour",
    "WallHourAuthor",
    "WallHourTag",
    "WallHourWait",
    "WallMinute",
    "WallMinuteAuthor",
    "WallMinuteTag",
    "WallMinuteWait",
    "WallRole",
    "WallRollupMark",
    "WallTagTotal",
]
