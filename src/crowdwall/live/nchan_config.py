"""crowdwall's nchan locations for the nginx config herdcache generates (``manage.py herdcache
nginx``), plugged in through ``HERDCACHE["EDGE_NGINX_EXTENSIONS"]``::

    HERDCACHE = {..., "EDGE_NGINX_EXTENSIONS": ["crowdwall.live.nchan_config.nchan_extension"]}

What it adds (``render_nchan`` is framework-free; ``nchan_extension`` reads the settings):

- ``<prefix>walls/<slug>/``: WebSocket and EventSource subscribers of channel ``wall.<slug>``.
  ``nchan_subscriber_first_message newest``: a new subscriber gets only what is published after
  it subscribed, never nchan's buffered backlog (nchan's default is ``oldest``). The page
  catches up from the database instead (``/walls/<slug>/live/missed/``), which knows moderation
  and edits that happened since, and is bounded by ``LIVE_CATCH_UP_LIMIT``; replaying the
  buffer as well would only send stale frames and duplicates. The small buffer kept still lets
  an EventSource resume by itself (``Last-Event-ID``) after a short drop.
- ``<prefix>moderate/<slug>/``: the moderators' channel ``moderate.<slug>`` (pending posts
  included): nginx asks Django first (``nchan_authorize_request`` → ``/walls/<slug>/live/
  authorize/`` with the browser's cookies): 200 for staff, 403 for anyone else.
- Origin check on both (``nchan_access_control_allow_origin``): a browser's Origin must name one
  of ``ALLOWED_HOSTS`` (any scheme and port, ``.example.com`` covers subdomains, like Channels'
  ``AllowedHostsOriginValidator``), so another site cannot open a moderator's socket with the
  moderator's cookies. nchan lets requests without an Origin through (not a browser's socket).
- The publisher location (``NCHAN_PUBLISH_URL``'s path), only for ``NCHAN_PUBLISH_ALLOW``
  (loopback by default): in its own server on the URL's address, or in the public server when
  the URL uses the same port.
- With ``NCHAN_REDIS_URL``: an ``nchan_redis_server`` upstream that every nchan location uses
  (``nchan_redis_pass``), so several nginx servers share channels: publish to any one of them.

Everything else (pages, the catch-up, the API) is the generated edge config's business:
cached pages from memcached, the rest proxied to Django.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from herdcache.edge.nginx import NginxConfigError, NginxExtension, parse_address

MODULE = "ngx_nchan_module.so"
SLUG = "[A-Za-z0-9_-]+"  # Django's <slug:> converter: the channel id is "wall." + the slug
# nchan keeps this many messages per channel, this long: enough for an EventSource to resume
# after a short drop, small enough to stay in memory at 50 posts/s on many walls.
BUFFER_LENGTH = 64
BUFFER_TIMEOUT = "60s"
PING_SECONDS = 30  # keeps idle sockets open through proxies that drop silent connections
MAX_MESSAGE = "16m"  # one batch's frames (LIVE batches of up to BATCH_SIZE posts)
AUTH_PATH = "/_crowdwall_live_authorize/"

_PREFIX = re.compile(r"/([A-Za-z0-9_.-]+/)*")
_HOSTNAME = re.compile(
    r"\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
_REDIS_SAFE = re.compile(r"[^\"'\\$;{}#\s]+")


def origin_pattern(allowed_hosts: Sequence[str]) -> str | None:
    """An nginx regex matching browser Origins whose host is in ``allowed_hosts`` (Django's
    syntax); None when any host is allowed (``*``)."""
    alternatives = []
    for host in allowed_hosts:
        host = str(host).strip().lower()
        if host == "*":
            return None
        if host.startswith("[") and host.endswith("]"):
            try:
                ipaddress.IPv6Address(host[1:-1])
            except ValueError:
                raise NginxConfigError(f"ALLOWED_HOSTS: {host!r} is not an IPv6 address") from None
            alternatives.append(re.escape(host))
        elif _HOSTNAME.fullmatch(host):
            name = re.escape(host.strip(".")) if host.startswith(".") else re.escape(host)
            # ".example.com": example.com and every subdomain (django.utils.http.is_same_domain)
            alternatives.append(f"([a-z0-9-]+\\.)*{name}" if host.startswith(".") else name)
        else:
            raise NginxConfigError(f"ALLOWED_HOSTS: {host!r} cannot be checked by nginx")
    if not alternatives:
        return "^$"  # nothing allowed: matches no Origin
    return f"^https?://({'|'.join(alternatives)})(:[0-9]+)?$"


def _subscriber(prefix: str, kind: str, channel: str, redis: str, extra: str = "") -> str:
    return (
        f"location ~ ^{re.escape(prefix)}{kind}/(?<crowdwall_{kind}>{SLUG})/$ {{\n"
        "    nchan_subscriber websocket eventsource;\n"
        f"    nchan_channel_id {channel}.$crowdwall_{kind};\n"
        "    # The page catches up from the database: no replay of nchan's buffer on connect.\n"
        "    nchan_subscriber_first_message newest;\n"
        "    nchan_access_control_allow_origin $crowdwall_live_origin;\n"
        f"    nchan_websocket_ping_interval {PING_SECONDS};\n"
        f"    nchan_eventsource_ping_interval {PING_SECONDS};\n"
        f"{extra}{redis}}}"
    )


def _publisher(path: str, allow: Sequence[str], redis: str) -> str:
    rules = "".join(f"    allow {address};\n" for address in allow)
    return (
        "# Django publishes here (crowdwall.live.nchan): one POST per channel and batch.\n"
        f"location ~ ^{re.escape(path)}(?<crowdwall_channel>(wall|moderate)\\.{SLUG})$ {{\n"
        f"{rules}    deny all;\n"
        "    nchan_publisher http;\n"
        "    nchan_channel_id $crowdwall_channel;\n"
        f"    nchan_message_buffer_length {BUFFER_LENGTH};\n"
        f"    nchan_message_timeout {BUFFER_TIMEOUT};\n"
        f"    client_max_body_size {MAX_MESSAGE};\n"
        "    client_body_buffer_size 1m;\n"
        f"{redis}}}"
    )


def _authorize(django_upstream: str, key_header: str) -> str:
    return (
        "# nchan_authorize_request subrequests: Django says 200 (staff session) or 403.\n"
        f"location ~ ^{AUTH_PATH}(?<crowdwall_auth>{SLUG})$ {{\n"
        "    internal;\n"
        f"    proxy_pass http://{django_upstream}/walls/$crowdwall_auth/live/authorize/;\n"
        "    proxy_pass_request_body off;\n"
        '    proxy_set_header Content-Length "";\n'
        "    proxy_http_version 1.1;\n"
        '    proxy_set_header Connection "";\n'
        "    proxy_set_header Upgrade \"\";  # the subscriber's WebSocket upgrade is not Django's\n"
        "    proxy_set_header Host $http_host;\n"
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "    proxy_set_header X-Forwarded-Proto $scheme;\n"
        f'    proxy_set_header {key_header} "";  # never an edge write\n'
        "}"
    )


def render_nchan(
    *,
    listen: str,
    django_upstream: str,
    publish_url: str,
    subscribe_prefix: str = "/live/",
    publish_allow: Sequence[str] = ("127.0.0.1", "::1"),
    allowed_hosts: Sequence[str] = (),
    redis_url: str = "",
    key_header: str = "X-Herdcache-Key",
) -> NginxExtension:
    """The nchan modules, http blocks and public-server locations for these settings."""
    if not (subscribe_prefix.startswith("/") and _PREFIX.fullmatch(subscribe_prefix)):
        raise NginxConfigError(f"NCHAN_SUBSCRIBE_PREFIX: {subscribe_prefix!r} is not /path/")
    url = urlsplit(publish_url)
    if url.scheme != "http" or not url.hostname or not url.port or url.query or url.fragment:
        raise NginxConfigError(f"NCHAN_PUBLISH_URL: {publish_url!r} is not http://host:port/path/")
    address = parse_address(url.netloc, what="NCHAN_PUBLISH_URL")
    path = url.path or "/"
    if not (path.endswith("/") and _PREFIX.fullmatch(path)) or path.startswith(subscribe_prefix):
        raise NginxConfigError(f"NCHAN_PUBLISH_URL: path {path!r} is not a separate /path/")
    for item in publish_allow:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise NginxConfigError(f"NCHAN_PUBLISH_ALLOW: {item!r} is not an IP or CIDR") from None

    # nchan defines many variables: the default hash size makes nginx warn on every start.
    http: list[str] = ["variables_hash_max_size 2048;"]
    redis = ""
    if redis_url:
        if urlsplit(redis_url).scheme not in ("redis", "rediss") or not _REDIS_SAFE.fullmatch(
            redis_url
        ):
            raise NginxConfigError(f"NCHAN_REDIS_URL: {redis_url!r} is not redis://host:port/db")
        http.append(
            "# nchan channels in Redis, shared by every nginx server using it: publish to any.\n"
            f"upstream crowdwall_nchan_redis {{\n    nchan_redis_server {redis_url};\n}}"
        )
        redis = "    nchan_redis_pass crowdwall_nchan_redis;\n"

    pattern = origin_pattern(allowed_hosts)
    if pattern is None:
        http.append(
            "# ALLOWED_HOSTS has '*': any Origin may subscribe.\n"
            'map $http_origin $crowdwall_live_origin {\n    default "*";\n}'
        )
    else:
        http.append(
            "# Origins allowed to subscribe: ALLOWED_HOSTS, any scheme and port. An empty value\n"
            "# makes nchan answer 403 to a browser from anywhere else.\n"
            'map $http_origin $crowdwall_live_origin {\n    default "";\n'
            f'    "~*{pattern}" $http_origin;\n}}'
        )

    prefix = subscribe_prefix
    server = [
        "# Live posts (nchan): browsers subscribe here; crowdwall.live.nchan publishes.",
        _subscriber(prefix, "walls", "wall", redis),
        _subscriber(
            prefix,
            "moderate",
            "moderate",
            redis,
            extra=f"    nchan_authorize_request {AUTH_PATH}$crowdwall_moderate;\n",
        ),
        _authorize(django_upstream, key_header),
    ]
    publisher = _publisher(path, publish_allow, redis)
    if _port(address) == _port(listen):
        server.append(publisher)
    else:
        http.append(
            "# nchan publisher: only Django (NCHAN_PUBLISH_ALLOW) reaches it.\n"
            f"server {{\n    listen {address};\n    access_log off;\n\n"
            + "\n".join("    " + line if line else line for line in publisher.splitlines())
            + "\n\n    location / {\n        return 404;\n    }\n}"
        )
    return NginxExtension(modules=(MODULE,), http=tuple(http), server=tuple(server))


def _port(address: str) -> str:
    return address.rpartition(":")[2] if ":" in address else address


def nchan_extension(context: Mapping[str, Any]) -> NginxExtension:
    """``EDGE_NGINX_EXTENSIONS`` entry: ``render_nchan`` with crowdwall's and Django's settings."""
    from django.conf import settings

    from crowdwall.conf import conf
    from herdcache.conf import conf as herdcache_conf

    if not conf.NCHAN_PUBLISH_URL:
        raise NginxConfigError("CROWDWALL['NCHAN_PUBLISH_URL'] is empty: nowhere to publish to.")
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:  # what Django itself allows then
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return render_nchan(
        listen=str(context["listen"]),
        django_upstream=str(context["django_upstream"]),
        publish_url=conf.NCHAN_PUBLISH_URL,
        subscribe_prefix=conf.NCHAN_SUBSCRIBE_PREFIX,
        publish_allow=conf.NCHAN_PUBLISH_ALLOW,
        allowed_hosts=hosts,
        redis_url=conf.NCHAN_REDIS_URL,
        key_header=herdcache_conf.EDGE_KEY_HEADER,
    )
