"""ASGI entry point: Django for HTTP (behind the webhook's size limit, which Django's ASGI handler
cannot enforce before reading a body), crowdwall's live wall for WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
django_application = get_asgi_application()  # first: sets Django up before models are imported

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from crowdwall.live.embedded import with_embedded_stream  # noqa: E402
from crowdwall.live.routing import websocket_application  # noqa: E402
from crowdwall.webhook_asgi import WebhookBodyLimit  # noqa: E402

application = with_embedded_stream(
    ProtocolTypeRouter(
        {"http": WebhookBodyLimit(django_application), "websocket": websocket_application()}
    ),
    # The demo (in-memory channel layer): sources run inside the server, or nothing is pushed.
    enabled=settings.EMBEDDED_STREAM,
)
