"""Which files a replay source may read: the bundled samples, or files in the directories of
``CROWDWALL["REPLAY_DIRS"]``. Framework-free (the directories are passed in).

A replay source's ``path`` is staff input that the stream opens and reads. Unchecked, it would
read any file the server can, and the difference between "created" and "no such file" would
tell anyone with staff access which files exist. So a path is accepted only when, with every
``..`` and symlink resolved, it names a regular file inside one of the allowed directories (a
relative path is looked up in each of them, bundled samples first), and every refusal is the
same message, naming no path and saying nothing about what exists (``REFUSED``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["BUNDLED_DIR", "DEFAULT_PATH", "REFUSED", "allowed_dirs", "resolve_replay_path"]

BUNDLED_DIR = Path(__file__).parent / "data"
DEFAULT_PATH = BUNDLED_DIR / "replay.jsonl"
REFUSED = (
    "'path' must name a replay file among the bundled samples or in a directory listed in "
    "CROWDWALL['REPLAY_DIRS']."
)


def allowed_dirs(configured: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The bundled samples' directory, then the configured ones, in order."""
    return [BUNDLED_DIR, *(Path(folder) for folder in configured)]


def resolve_replay_path(path: object, configured: Iterable[str | os.PathLike[str]]) -> Path | None:
    """The real path of the replay file ``path`` names, or None when it names no regular file
    inside an allowed directory (whatever the reason: outside, missing, not a file)."""
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        return None
    candidate = Path(path.strip())
    for folder in allowed_dirs(configured):
        try:
            root = folder.resolve()
            target = (root / candidate).resolve()  # an absolute candidate replaces root
            if target.is_relative_to(root) and target.is_file():
                return target
        except (OSError, RuntimeError, ValueError):  # unreadable, a symlink loop, too long
            continue
    return None
