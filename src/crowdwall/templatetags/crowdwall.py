"""crowdwall's template tags: a wall's posts, figures and the boost switch (``{% load crowdwall %}``).

``wall`` is a ``Wall`` or a wall slug (a variable or a quoted literal); ``n`` a positive integer
up to ``MAX_N`` (a literal is checked when the template is parsed, a variable when it renders;
either way a bad one is a ``TemplateSyntaxError``). An unknown slug renders nothing and logs a
warning, so a renamed wall does not take a whole page down.

::

    {% render_posts wall 30 %}   the 30 newest approved posts (crowdwall/_post.html each)
    {% post_count wall %}        the number of approved posts ({% post_count wall as n %} too)
    {% top_authors wall 5 %}     the 5 authors with most approved posts, with their counts
    {% top_posts wall 5 %}       the 5 most boosted + favourited approved posts
    {% boost_switch %}           a "Hide boosts" checkbox (needs JavaScript; hidden without it)
    {% live_updates wall %}      the live script (crowdwall/live.js) and its status line

``live_updates`` keeps the page's ``[data-live-root][data-wall="<slug>"]`` lists current: it
renders ``p[data-live-config][data-live-status]`` (hidden until the script runs; ``data-state``
is connecting, live, reconnecting or stopped) carrying the transport
(``CROWDWALL["LIVE_TRANSPORT"]``: ``channels``, a WebSocket to ``ws/walls/<slug>/``, or
``nchan``, a WebSocket to ``NCHAN_SUBSCRIBE_PREFIX + "walls/<slug>/"`` plus the missed frames
from ``/walls/<slug>/live/missed/``) and ``data-rendered-at``, the server time (epoch ms) of the
render: a cached page reconnects from the moment its content was read, with the root's
``data-last-id`` as ``since``, so it catches up on exactly what it lacks.

The figures come from ``crowdwall.aggregates`` (cached, exact: purged by every change); the
posts of ``render_posts`` are read on each render, as the page around them is itself cached.
``top_authors`` and ``top_posts`` wrap their lists in ``[data-figure][data-wall][data-n]``, and
``post_count`` can be placed in a ``[data-figure="count"][data-wall]`` element: with
``live_updates`` on the page, ``crowdwall/figures.js`` replaces them with every ``wall.figures``
frame (after each change, and on load: a cached page is corrected at once).
"""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.template.base import FilterExpression, Parser, Token, Variable
from django.template.context import Context
from django.urls import reverse

from crowdwall import aggregates
from crowdwall.aggregates import WallRef
from crowdwall.conf import conf
from crowdwall.live.catchup import now_ms
from crowdwall.live.routing import websocket_urlpatterns
from crowdwall.models import ModerationState, PostWall, Wall

logger = logging.getLogger("crowdwall.templatetags")
register = template.Library()

MAX_N = 200  # posts or authors one tag renders at most: templates, not visitors, choose n


class _WebSocketRoutes:
    """The WebSocket routes as a urlconf, so their URLs are reversed, never spelled out."""

    urlpatterns = websocket_urlpatterns


def _check_n(value: Any, tag: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if isinstance(value, bool) or not 1 <= n <= MAX_N or str(value).strip() != str(n):
        raise template.TemplateSyntaxError(
            f"'{tag}' needs a whole number from 1 to {MAX_N}, not {value!r}."
        )
    return n


def _literal(expression: FilterExpression) -> tuple[bool, Any]:
    """(True, value) when ``expression`` is a constant without filters, else (False, None)."""
    if expression.filters:
        return False, None
    if isinstance(expression.var, Variable):
        literal = expression.var.literal
        return (literal is not None), literal
    return True, expression.var  # a quoted string constant


def _parse(parser: Parser, token: Token, *, with_n: bool) -> list[FilterExpression]:
    tag, *bits = token.split_contents()
    wanted = 2 if with_n else 1
    if len(bits) != wanted:
        usage = f"{{% {tag} wall n %}}" if with_n else f"{{% {tag} wall %}}"
        raise template.TemplateSyntaxError(f"'{tag}' takes {wanted} argument(s): {usage}")
    expressions = [parser.compile_filter(bit) for bit in bits]
    is_constant, value = _literal(expressions[0])
    if is_constant and not isinstance(value, str):
        raise template.TemplateSyntaxError(f"'{tag}': the wall is a Wall or a slug, not {value!r}.")
    if with_n:
        is_constant, value = _literal(expressions[1])
        if is_constant:
            _check_n(value, tag)
    return expressions


class _WallNode(template.Node):
    """Resolves ``wall`` (and ``n``) and renders ``template_name`` with what ``data`` returns."""

    template_name = ""

    def __init__(self, tag: str, wall: FilterExpression, n: FilterExpression | None) -> None:
        self.tag, self.wall, self.n = tag, wall, n

    def resolve_wall(self, context: Context) -> WallRef | None:
        value = self.wall.resolve(context)
        if isinstance(value, Wall):
            return WallRef(value.pk, value.slug)
        if not isinstance(value, str) or not value:
            raise template.TemplateSyntaxError(
                f"'{self.tag}': the wall is a Wall or a slug, not {value!r}."
            )
        # One slug lookup per wall per template render, however many tags name it.
        known = context.render_context.setdefault("crowdwall_walls", {})
        if value not in known:
            try:
                known[value] = aggregates.resolve_wall(value)
            except Wall.DoesNotExist:
                logger.warning("'%s': no wall with slug %r; rendering nothing", self.tag, value)
                known[value] = None
        return known[value]

    def data(self, wall: WallRef, n: int) -> dict[str, Any]:
        raise NotImplementedError  # abstract: every tag node supplies its own data

    def render(self, context: Context) -> str:
        n = _check_n(self.n.resolve(context), self.tag) if self.n is not None else 0
        wall = self.resolve_wall(context)
        if wall is None:
            return ""
        partial = context.template.engine.get_template(self.template_name)
        return partial.render(context.new({"wall": wall, **self.data(wall, n)}))


class RenderPostsNode(_WallNode):
    template_name = "crowdwall/_posts.html"

    def data(self, wall: WallRef, n: int) -> dict[str, Any]:
        # The archive's index, first n rows: newest first, ties by id.
        entries = (
            PostWall.objects.filter(wall_id=wall.id, state=ModerationState.APPROVED)
            .select_related("post", "author")
            .order_by("-created_at", "-post_id")[:n]
        )
        return {"entries": list(entries)}


class TopAuthorsNode(_WallNode):
    template_name = "crowdwall/_top_authors.html"

    def data(self, wall: WallRef, n: int) -> dict[str, Any]:
        return {"top_authors": aggregates.top_authors(wall, n), "n": n}


class TopPostsNode(_WallNode):
    template_name = "crowdwall/_top_posts.html"

    def data(self, wall: WallRef, n: int) -> dict[str, Any]:
        return {"top_posts": aggregates.top_posts(wall, n), "n": n}


class LiveUpdatesNode(_WallNode):
    template_name = "crowdwall/_live_updates.html"

    def data(self, wall: WallRef, n: int) -> dict[str, Any]:
        return {
            "transport": conf.LIVE_TRANSPORT,
            "ws_url": reverse("crowdwall-live", urlconf=_WebSocketRoutes, args=[wall.slug]),
            "live_url": f"{conf.NCHAN_SUBSCRIBE_PREFIX}walls/{wall.slug}/",
            "missed_url": reverse("crowdwall:live_missed", args=[wall.slug]),
            # When the page's content was read; cached pages keep theirs (that is the point).
            "rendered_at": now_ms(),
        }


class PostCountNode(_WallNode):
    def __init__(self, tag: str, wall: FilterExpression, target: str | None) -> None:
        super().__init__(tag, wall, None)
        self.target = target

    def render(self, context: Context) -> str:
        wall = self.resolve_wall(context)
        count = aggregates.post_count(wall) if wall is not None else None
        if self.target:
            context[self.target] = count
            return ""
        return "" if count is None else str(count)


@register.tag
def render_posts(parser: Parser, token: Token) -> RenderPostsNode:
    """``{% render_posts wall n %}``: the ``n`` newest approved posts of ``wall``, each with
    ``crowdwall/_post.html`` (content warnings collapsed in ``<details>``, boosts marked
    ``data-boost="1"``). Post HTML is output as is: it was sanitized at ingest."""
    wall, n = _parse(parser, token, with_n=True)
    return RenderPostsNode("render_posts", wall, n)


@register.tag
def post_count(parser: Parser, token: Token) -> PostCountNode:
    """``{% post_count wall %}``: the number of approved posts on ``wall`` (see
    ``crowdwall.aggregates``); ``{% post_count wall as name %}`` stores it."""
    bits = token.split_contents()
    target = None
    if len(bits) == 4 and bits[2] == "as":
        target = bits[3]
        token = Token(token.token_type, " ".join(bits[:2]))
    (wall,) = _parse(parser, token, with_n=False)
    return PostCountNode("post_count", wall, target)


@register.tag
def top_authors(parser: Parser, token: Token) -> TopAuthorsNode:
    """``{% top_authors wall n %}``: an ordered list of the ``n`` authors with the most approved
    posts on ``wall``, with their counts (``crowdwall/_top_authors.html``)."""
    wall, n = _parse(parser, token, with_n=True)
    return TopAuthorsNode("top_authors", wall, n)


@register.tag
def top_posts(parser: Parser, token: Token) -> TopPostsNode:
    """``{% top_posts wall n %}``: the ``n`` approved posts of ``wall`` with the most boosts +
    favourites, most first (``crowdwall/_top_posts.html``; nothing boosted yet: a short note)."""
    wall, n = _parse(parser, token, with_n=True)
    return TopPostsNode("top_posts", wall, n)


@register.inclusion_tag("crowdwall/_boost_switch.html")
def boost_switch() -> dict[str, Any]:
    """``{% boost_switch %}``: a "Hide boosts" checkbox and ``crowdwall/boost-switch.js``, which
    hides every element with ``data-boost="1"`` (posts added later too) and remembers the choice
    in ``localStorage``. Rendered ``hidden``; the script shows it, so without JavaScript no
    control appears that would do nothing."""
    return {}


@register.tag
def live_updates(parser: Parser, token: Token) -> LiveUpdatesNode:
    """``{% live_updates wall %}``: the live script for ``wall`` and its status line (see the
    module docstring); place it after the page's ``[data-live-root]`` lists."""
    (wall,) = _parse(parser, token, with_n=False)
    return LiveUpdatesNode("live_updates", wall, None)
