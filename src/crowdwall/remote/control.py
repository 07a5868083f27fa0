"""Commands to a wall's open screens, the wall's control state, and the frames that carry both.

A command goes to every screen of a wall, or to one (``screen``: the id it reports in its
presence), as a ``screen.control`` frame in the wall's live group: the same delivery as posts,
so it works over Channels and nchan alike (``Publisher.send_frames``). Commands:

- ``pause`` / ``resume``: stop and restart the rotation; new posts wait until resumed;
- ``next``: the next post now;
- ``spotlight``: one approved post of the wall, large, over everything, for ``seconds``;
- ``banner``: an announcement line for ``seconds``; ``clear-banner`` takes it down;
- ``layout`` / ``theme``: switch to a layout or theme ("" : back to the wall's own);
- ``reload``: the screen loads its page again.

A command to the whole wall also changes the wall's *control state* (paused, banner and its
end, layout, theme), kept in the cache for ``STATE_SECONDS``: a screen that connects or catches
up receives it as a ``screen.state`` frame (``state_frame``), so a reconnecting or reloaded
screen is paused, shows the banner and uses the layout it should. A command to one screen is a
one-off: that screen forgets it when it reloads. Every command is written to the moderation log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from crowdwall.ingest.publisher import get_publisher
from crowdwall.live.catchup import now_ms
from crowdwall.live.frames import dumps, group_name, post_payload
from crowdwall.models import (
    ModerationAction,
    ModerationState,
    PostWall,
    ScreenLayout,
    ScreenTheme,
    Wall,
)
from crowdwall.moderation.service import record
from crowdwall.remote.presence import SCREEN_ID

logger = logging.getLogger("crowdwall.remote")

COMMANDS = (
    "pause", "resume", "next", "spotlight", "banner", "clear-banner", "layout", "theme", "reload",
)  # fmt: skip
CONTROL = "screen.control"
STATE = "screen.state"
STATE_SECONDS = 7 * 86_400  # a week: an event's screens run for days
MAX_BANNER = 200  # characters: one line, readable from the back of the hall
BANNER_SECONDS = (5, 3_600)
SPOTLIGHT_SECONDS = (3, 300)
DEFAULT_SECONDS = {"banner": 60, "spotlight": 15}


class BadCommand(ValueError):
    """A command that cannot be sent: ``errors`` maps each field to its problems."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Command:
    """One validated command; ``screen`` None for every screen of the wall."""

    command: str
    screen: str | None = None
    seconds: int = 0
    text: str = ""
    value: str = ""  # the layout or theme ("": the wall's own)
    post: dict[str, Any] = field(default_factory=dict)

    def frame(self) -> dict[str, Any]:
        """The ``screen.control`` frame of this command."""
        frame: dict[str, Any] = {"type": CONTROL, "command": self.command, "screen": self.screen}
        if self.command in ("banner", "spotlight"):
            frame["seconds"] = self.seconds
        if self.command == "banner":
            frame["text"] = self.text
        if self.command in ("layout", "theme"):
            frame["value"] = self.value
        if self.command == "spotlight":
            frame["id"], frame["post"] = self.post["id"], self.post
        return frame


def _seconds(raw: str, command: str, bounds: tuple[int, int]) -> int:
    if not raw:
        return DEFAULT_SECONDS[command]
    if not (raw.isascii() and raw.isdigit()) or not bounds[0] <= int(raw) <= bounds[1]:
        raise BadCommand({"seconds": [f"A whole number from {bounds[0]} to {bounds[1]}."]})
    return int(raw)


def parse_command(wall: Wall, data: Any) -> Command:
    """The command in ``data`` (a form's ``QueryDict`` or a dict of strings) for ``wall``;
    ``BadCommand`` naming the field for anything off."""
    command = str(data.get("command", ""))
    if command not in COMMANDS:
        raise BadCommand({"command": [f"One of {', '.join(COMMANDS)}."]})
    screen = str(data.get("screen", "")) or None
    if screen is not None and not SCREEN_ID.match(screen):
        raise BadCommand({"screen": ["A screen id from the Screens page, or empty for all."]})
    kwargs: dict[str, Any] = {"command": command, "screen": screen}
    if command == "banner":
        text = " ".join(str(data.get("text", "")).split())  # one line: newlines would break it
        if not text or len(text) > MAX_BANNER:
            raise BadCommand({"text": [f"The announcement: 1 to {MAX_BANNER} characters."]})
        kwargs["text"] = text
        kwargs["seconds"] = _seconds(str(data.get("seconds", "")), command, BANNER_SECONDS)
    elif command == "spotlight":
        kwargs["post"] = _approved_post(wall, str(data.get("post", "")))
        kwargs["seconds"] = _seconds(str(data.get("seconds", "")), command, SPOTLIGHT_SECONDS)
    elif command in ("layout", "theme"):
        values = ScreenLayout.values if command == "layout" else ScreenTheme.values
        value = str(data.get("value", ""))
        if value and value not in values:
            raise BadCommand({"value": [f"One of {', '.join(values)}, or empty for the wall's."]})
        kwargs["value"] = value
    return Command(**kwargs)


def _approved_post(wall: Wall, raw: str) -> dict[str, Any]:
    problem = {"post": ["The id of a post approved on this wall."]}
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        raise BadCommand(problem)
    entry = (
        PostWall.objects.filter(wall=wall, post_id=int(raw), state=ModerationState.APPROVED)
        .select_related("post__author")
        .first()
    )
    if entry is None:
        raise BadCommand(problem)
    return post_payload(entry.post)


def _state_key(wall_id: int) -> str:
    return f"crowdwall:screen-control:{wall_id}"


def state(wall_id: int) -> dict[str, Any]:
    """The wall's control state now: ``paused``, ``banner`` (``text``, ``until`` epoch ms, or
    None once over), ``layout`` and ``theme`` ("" for the wall's own)."""
    saved = cache.get(_state_key(wall_id)) or {}
    banner = saved.get("banner")
    if banner is not None and banner["until"] <= now_ms():
        banner = None
    return {
        "paused": bool(saved.get("paused")),
        "banner": banner,
        "layout": saved.get("layout", ""),
        "theme": saved.get("theme", ""),
    }


def state_frame(wall_id: int) -> str:
    """The ``screen.state`` frame a connecting screen gets: the state, the banner's time left in
    seconds (screens' clocks may differ from ours)."""
    current = state(wall_id)
    banner = current["banner"]
    if banner is not None:
        left = max(1, (banner["until"] - now_ms() + 999) // 1000)
        current["banner"] = {"text": banner["text"], "seconds": left}
    return dumps({"type": STATE, **current})


def _apply(wall_id: int, command: Command) -> None:
    """Change the wall's state for a command to all of its screens."""
    current = state(wall_id)
    if command.command in ("pause", "resume"):
        current["paused"] = command.command == "pause"
    elif command.command == "banner":
        current["banner"] = {"text": command.text, "until": now_ms() + command.seconds * 1000}
    elif command.command == "clear-banner":
        current["banner"] = None
    elif command.command in ("layout", "theme"):
        current[command.command] = command.value
    cache.set(_state_key(wall_id), current, STATE_SECONDS)


def send(wall: Wall, command: Command, *, actor: Any) -> bool:
    """Record ``command`` in the wall's state (all screens) and the moderation log, then send it
    to the open screens after commit; False when the publisher reaches no pages."""
    if command.screen is None:
        _apply(wall.pk, command)
    detail = {k: v for k, v in command.frame().items() if k not in ("type", "post")}
    record(
        actor,
        ModerationAction.SCREEN,
        wall=wall,
        post_id=command.post["id"] if command.post else None,
        detail=detail,
    )
    text = dumps(command.frame())
    delivered = get_publisher().send_frames(group_name(wall.slug), [text])
    if not delivered:
        logger.warning("Screen command %s on %s: no live transport", command.command, wall.slug)
    return delivered
