"""The Mastodon source: hashtag and account timelines, polled over REST or streamed live.

- ``source.py``: ``MastodonSource``, the adapter (polling, streaming with REST catch-up).
- ``client.py``: HTTP with one request in flight, rate limits and retries.
- ``streaming.py``: the streaming API over WebSocket, or SSE as the fallback.
- ``feeds.py``: the timelines followed and the cursor (newest id per timeline).
- ``statuses.py``: string ids and the mapping of a status to ``IncomingPost``.
"""

from __future__ import annotations

from crowdwall.sources.mastodon.source import MastodonSource

__all__ = ["MastodonSource"]
