"""The acceptance site's ASGI application, wired like ``example/example/asgi.py``, plus static
files (DEBUG is off, as in production; the pages' scripts must load)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.acceptance.site.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from crowdwall.live.routing import websocket_application  # noqa: E402
from crowdwall.webhook_asgi import WebhookBodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WebhookBodyLimit(ASGIStaticFilesHandler(django_application)),
        "websocket": websocket_application(),
    }
)
