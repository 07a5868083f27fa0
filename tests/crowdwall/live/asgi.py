"""The ASGI application of the test server, wired like ``example/example/asgi.py``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.crowdwall.live.server_settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from crowdwall.live.routing import websocket_application  # noqa: E402
from crowdwall.webhook_asgi import WebhookBodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {"http": WebhookBodyLimit(django_application), "websocket": websocket_application()}
)
