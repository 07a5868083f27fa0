"""Live delivery over WebSockets (Django Channels): the ingest side publishes each change once
per wall group (``publisher``), one consumer per browser joins its wall's group and catches up
from the database by post id on connect (``consumers``), routed by ``routing``.

Nothing here is imported by ``crowdwall`` itself: name ``crowdwall.live.publisher.ChannelsPublisher``
in ``CROWDWALL["PUBLISHER"]`` and route ``crowdwall.live.routing.websocket_application()``.
"""
