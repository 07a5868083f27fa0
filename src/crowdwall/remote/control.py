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

A command also changes the wall's *control state* (paused, banner and its end, layout, theme,
the spotlit post and its end), kept in the cache for ``STATE_SECONDS``: a screen that connects
or catches up receives it as a ``screen.state`` frame (``state_frame``), so a reconnecting or
reloaded screen is paused, shows the banner and the spotlight and uses the layout it should.
A command to one screen is kept as that screen's *override* of the same fields (by the id it
reports, which it keeps in ``sessionStorage`` across reloads and sends when it connects:
``?screen=`` on the socket and on the nchan catch-up), so it survives that screen reloading or
reconnecting too. The latest command wins: a wall-wide one clears the screens' overrides of the
fields it sets. At most ``SCREENS_PER_WALL`` screens keep overrides (the oldest is dropped).
``next`` and ``reload`` are one-offs. Every command is written to the moderation log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from crowdwall.conf import conf
from crowdwall.ingest.publisher import get_publisher
from crowdwall.live.catchup import MAX_POST_ID, now_ms
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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # and lone surrogates


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
    # The length first: int() refuses more than 4,300 digits with a ValueError of its own.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not (
        bounds[0] <= int(raw) <= bounds[1]
    ):
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
        if _CONTROL.search(text):  # NUL breaks the log on PostgreSQL; none is ever meant
            raise BadCommand({"text": ["The announcement: no control characters."]})
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
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) > MAX_POST_ID:
        raise BadCommand(problem)  # the database's integers stop at 2**63 - 1
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


_FIELDS = ("paused", "banner", "layout", "theme", "spotlight")
_TIMED = ("banner", "spotlight")  # ``until`` epoch ms; over once it passes


def _saved(wall_id: int) -> dict[str, Any]:
    saved = cache.get(_state_key(wall_id))
    return saved if isinstance(saved, dict) else {}


def state(wall_id: int, screen: str | None = None) -> dict[str, Any]:
    """The control state now, of the wall or, with ``screen``, as that screen should be (the
    wall's, then its own overrides): ``paused``, ``banner`` (``text``, ``until`` epoch ms),
    ``spotlight`` (``id``, ``post``, ``until``) — each None once over —, ``layout`` and
    ``theme`` ("" for the wall's own)."""
    saved = _saved(wall_id)
    current = {name: saved.get(name) for name in _FIELDS}
    if screen is not None:
        current.update(saved.get("screens", {}).get(screen, {}))
    for name in _TIMED:
        timed = current[name]
        if timed is not None and timed["until"] <= now_ms():
            current[name] = None
    current["paused"] = bool(current["paused"])
    current["layout"] = current["layout"] or ""
    current["theme"] = current["theme"] or ""
    return current


def overrides(wall_id: int) -> dict[str, list[str]]:
    """The fields each screen of the wall has set by a command to it alone (its id -> names)."""
    return {screen: sorted(own) for screen, own in _saved(wall_id).get("screens", {}).items()}


def _left(timed: dict[str, Any]) -> int:
    # Seconds, rounded up: screens' clocks may differ from ours.
    return max(1, (timed["until"] - now_ms() + 999) // 1000)


def state_frame(wall_id: int, screen: str | None = None) -> str:
    """The ``screen.state`` frame a connecting screen (``screen``: its id, if it said) gets:
    the state, with the banner's and the spotlight's time left in seconds."""
    current = state(wall_id, screen)
    banner, spotlight = current["banner"], current["spotlight"]
    if banner is not None:
        current["banner"] = {"text": banner["text"], "seconds": _left(banner)}
    if spotlight is not None:
        current["spotlight"] = {
            "id": spotlight["id"],
            "post": spotlight["post"],
            "seconds": _left(spotlight),
        }
    return dumps({"type": STATE, **current})


def _change(command: Command) -> dict[str, Any]:
    """The fields of the control state ``command`` sets ({} for a one-off)."""
    name = command.command
    if name in ("pause", "resume"):
        return {"paused": name == "pause"}
    if name == "banner":
        return {"banner": {"text": command.text, "until": now_ms() + command.seconds * 1000}}
    if name == "clear-banner":
        return {"banner": None}
    if name in ("layout", "theme"):
        return {name: command.value}
    if name == "spotlight":
        until = now_ms() + command.seconds * 1000
        return {"spotlight": {"id": command.post["id"], "post": command.post, "until": until}}
    return {}


def _apply(wall_id: int, command: Command) -> None:
    """Change the control state for a command: the wall's, or one screen's overrides. A
    read-modify-write of one cache entry: commands are a person's clicks, not a stream."""
    change = _change(command)
    if not change:
        return
    saved = _saved(wall_id)
    screens: dict[str, dict[str, Any]] = saved.get("screens", {})
    if command.screen is None:
        saved.update(change)
        for own in screens.values():  # the latest command wins
            for name in change:
                own.pop(name, None)
        screens = {screen: own for screen, own in screens.items() if own}
    else:
        own = {**screens.pop(command.screen, {}), **change}  # re-inserted: now the newest
        screens[command.screen] = own
        while len(screens) > conf.SCREENS_PER_WALL:
            del screens[next(iter(screens))]
    saved["screens"] = screens
    cache.set(_state_key(wall_id), saved, STATE_SECONDS)


def send(wall: Wall, command: Command, *, actor: Any) -> bool:
    """Record ``command`` in the control state (the wall's or its screen's) and the moderation
    log, then send it to the open screens; False when the publisher reaches no pages."""
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
