"""crowdwall's models: walls and their sources, posts and the walls they appear on, bans.

See ``crowdwall.models.posts`` for why a post and a wall meet in ``PostWall``.
"""

from crowdwall.models.bans import BannedAuthor, BannedWord
from crowdwall.models.posts import Author, ModerationState, Post, PostWall
from crowdwall.models.walls import ModerationMode, Source, Wall

__all__ = [
    "Author",
    "BannedAuthor",
    "BannedWord",
    "ModerationMode",
    "ModerationState",
    "Post",
    "PostWall",
    "Source",
    "Wall",
]
