"""Django admin for walls, sources, posts, moderation, bans, the never-show list, quarantined
posts, and each wall's roles and trusted accounts (inlines on the wall).

List fields (hashtags, keywords, accounts, languages) are edited one entry per line. Moderation
happens on "posts on walls" through actions only, so every change goes through
``crowdwall.moderation.actions`` (one event per post, cache purge) rather than a bare save.
Importing this package registers every admin (Django's autodiscovery imports it).
"""

from crowdwall.admin.fields import LinesField
from crowdwall.admin.moderation import BannedAuthorAdmin, BannedWordAdmin, NeverShowAdmin
from crowdwall.admin.posts import (
    PostAdmin,
    PostWallAdmin,
    approve,
    make_pending,
    pin,
    reject,
    unpin,
)
from crowdwall.admin.quarantine import QuarantinedPostAdmin, replay_quarantined
from crowdwall.admin.walls import SourceAdmin, SourceForm, WallAdmin, WallForm
from crowdwall.schedule import admin as _schedule_admin  # noqa: F401  (registers Schedule)

__all__ = [
    "BannedAuthorAdmin",
    "BannedWordAdmin",
    "LinesField",
    "NeverShowAdmin",
    "PostAdmin",
    "PostWallAdmin",
    "QuarantinedPostAdmin",
    "SourceAdmin",
    "SourceForm",
    "WallAdmin",
    "WallForm",
    "approve",
    "make_pending",
    "pin",
    "reject",
    "replay_quarantined",
    "unpin",
]
