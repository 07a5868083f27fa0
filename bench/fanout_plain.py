"""The fanout benchmark's baseline: the textbook Channels consumer for a live wall."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class PlainConsumer(AsyncWebsocketConsumer):
    """Each socket its own layer channel in the wall's group; one ``self.send`` per event."""

    groups = ["wall.bench"]  # joined by Channels before ``connect``

    async def wall_event(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["text"])
