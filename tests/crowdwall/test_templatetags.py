"""``{% load crowdwall %}``: each tag renders what it should; bad arguments fail at parse time."""

from __future__ import annotations

import logging
import re

import pytest
from django.template import Context, Template, TemplateSyntaxError

from crowdwall.models import ModerationState, Post, PostWall
from crowdwall.moderation.actions import set_state
from crowdwall.templatetags.crowdwall import MAX_N
from tests.crowdwall.conftest import make_post
from tests.crowdwall.test_aggregates import by, counts

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load crowdwall %}" + source).render(Context(context))


def shown(html: str) -> list[str]:
    """External ids of the posts in ``html``, in order (``id="post-<pk>"`` or ``top-post-``)."""
    pks = [int(pk) for pk in re.findall(r'<article [^>]*id="[a-z-]*post-(\d+)"', html)]
    by_pk = dict(Post.objects.filter(pk__in=pks).values_list("pk", "external_id"))
    return [by_pk[pk] for pk in pks]


@pytest.fixture
def posts(store, wall):
    store(
        make_post(1, author=by("ann"), counts=counts(1, 0)),
        make_post(2, author=by("bob"), spoiler_text="keynote spoilers", counts=counts(5, 5)),
        make_post(3, author=by("bob"), boost=True, counts=counts(2, 0)),
        make_post(4, author=by("bob"), html="<p>Rejected <b>post</b> #djangocon</p>"),
        make_post(5, author=by("cy"), html="<p>Hello <em>wall</em> #djangocon</p>"),
    )
    set_state(PostWall.objects.filter(post__external_id="4"), ModerationState.REJECTED)
    return wall


def test_render_posts_newest_approved_first(posts):
    html = render("{% render_posts wall 10 %}", wall=posts)
    assert shown(html) == ["5", "3", "2", "1"]
    assert shown(render("{% render_posts wall 2 %}", wall=posts)) == ["5", "3"]


def test_render_posts_outputs_sanitized_html_as_is(posts):
    html = render("{% render_posts wall 1 %}", wall=posts)
    assert '<div class="content"><p>Hello <em>wall</em> #djangocon</p></div>' in html


def test_render_posts_collapses_content_warnings(posts):
    html = render("{% render_posts wall 10 %}", wall=posts)
    assert re.search(
        r'<details class="cw">\s*<summary>Content warning: keynote spoilers</summary>', html
    )


def test_render_posts_marks_boosts(posts):
    html = render("{% render_posts wall 10 %}", wall=posts)
    boost = Post.objects.get(external_id="3").pk
    marked = re.findall(r'<article [^>]*id="post-(\d+)" data-boost="1"', html)
    assert marked == [str(boost)]
    assert html.count('data-boost="1"') == 1


def test_render_posts_on_an_empty_wall(wall):
    assert '<p class="empty">No posts here yet.</p>' in render("{% render_posts 'djangocon' 5 %}")


def test_a_slug_works_as_the_wall(posts):
    html = render("{% render_posts slug n %}", slug="djangocon", n=2)
    assert shown(html) == ["5", "3"]
    assert render("{% post_count 'djangocon' %}") == "4"


def test_post_count(posts):
    assert render("{% post_count wall %}", wall=posts) == "4"
    html = render("{% post_count wall as total %}{{ total }} post{{ total|pluralize }}", wall=posts)
    assert html == "4 posts"


def test_top_authors_in_order_with_counts(posts):
    html = render("{% top_authors wall 5 %}", wall=posts)
    names = re.findall(r"<strong>([^<]+)</strong>", html)
    found = re.findall(r'data-count="(\d+)">(\d+) posts?<', html)
    assert names == ["Bob", "Ann", "Cy"]
    assert found == [("2", "2"), ("1", "1"), ("1", "1")]
    assert html.startswith(
        '<div class="top-list" data-figure="top-authors" data-wall="djangocon" data-n="5">'
        '<ol class="top-authors">'
    )
    assert len(re.findall("<li>", render("{% top_authors wall 1 %}", wall=posts))) == 1


def test_top_posts_most_boosted_and_favourited_first(posts):
    html = render("{% top_posts wall 5 %}", wall=posts)
    assert shown(html) == ["2", "3", "1"]
    assert 'id="top-post-' in html and 'id="post-' not in html  # no clash with the timeline
    assert 'data-boost="1"' in html  # 3 is a boost
    assert '<details class="cw">' in html


def test_top_posts_when_nothing_is_boosted(wall):
    assert "Nothing boosted or favourited yet." in render("{% top_posts wall 3 %}", wall=wall)


def test_boost_switch_is_hidden_until_its_script_runs():
    html = render("{% boost_switch %}")
    assert '<label class="boost-switch" data-boost-switch hidden><input type="checkbox">' in html
    assert '<script src="crowdwall/boost-switch.js" defer></script>' in html.replace("/static/", "")


@pytest.mark.parametrize(
    "source",
    [
        "{% render_posts wall %}",
        "{% render_posts wall 5 extra %}",
        "{% render_posts wall 0 %}",
        "{% render_posts wall -3 %}",
        f"{{% render_posts wall {MAX_N + 1} %}}",
        "{% render_posts wall 2.5 %}",
        "{% render_posts wall 'five' %}",
        "{% render_posts 12 5 %}",
        "{% top_authors wall %}",
        "{% top_posts wall 'x' %}",
        "{% post_count %}",
        "{% post_count wall 5 %}",
        "{% post_count wall as %}",
        "{% boost_switch wall %}",
    ],
)
def test_bad_arguments_fail_at_parse_time(source):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load crowdwall %}" + source)


@pytest.mark.parametrize("n", [0, "abc", None, 10_000, True])
def test_bad_n_from_a_variable_fails_at_render_time(wall, n):
    template = Template("{% load crowdwall %}{% top_authors wall n %}")
    with pytest.raises(TemplateSyntaxError):
        template.render(Context({"wall": wall, "n": n}))


def test_a_wall_variable_of_the_wrong_type_fails(wall):
    with pytest.raises(TemplateSyntaxError):
        render("{% post_count wall %}", wall=3)


def test_unknown_slug_renders_nothing_and_warns(wall, caplog):
    with caplog.at_level(logging.WARNING, logger="crowdwall.templatetags"):
        assert render("{% post_count 'nope' %}{% top_posts 'nope' 3 %}") == ""
    assert "no wall with slug 'nope'" in caplog.text


def test_a_slug_is_looked_up_once_per_render(posts, django_assert_num_queries):
    source = "{% post_count w %}{% top_authors w 3 %}{% top_posts w 3 %}"
    render(source, w="djangocon")  # fills the figures' cache
    with django_assert_num_queries(1):  # the slug; the figures come from the cache
        render(source, w="djangocon")


def live_config(html: str) -> dict[str, str]:
    """The data attributes of the ``[data-live-config]`` element ``live_updates`` renders."""
    element = re.search(r"<p [^>]*data-live-config[^>]*>", html)
    assert element is not None, html
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', element.group(0)))


def test_live_updates_renders_the_status_line_and_script(wall):
    from crowdwall.live.catchup import now_ms

    start = now_ms()
    html = render("{% live_updates wall %}", wall=wall)
    config = live_config(html)
    assert config.pop("rendered-at").isdigit()
    assert start <= int(live_config(html)["rendered-at"]) <= now_ms()  # server time, epoch ms
    assert config == {
        "state": "connecting",
        "wall": "djangocon",
        "transport": "channels",
        "ws-url": "/ws/walls/djangocon/",
    }
    assert re.search(r"<p [^>]* hidden [^>]*data-live-status", html)  # shown by the script only
    assert '<script src="crowdwall/live.js" defer></script>' in html


def test_live_updates_with_nchan(wall, settings):
    settings.CROWDWALL = {"LIVE_TRANSPORT": "nchan", "NCHAN_SUBSCRIBE_PREFIX": "/sub/"}
    config = live_config(render("{% live_updates 'djangocon' %}"))
    assert config["transport"] == "nchan"
    assert config["live-url"] == "/sub/walls/djangocon/"
    assert config["missed-url"] == "/walls/djangocon/live/missed/"


def test_live_updates_bad_uses(wall, caplog):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load crowdwall %}{% live_updates %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% load crowdwall %}{% live_updates wall 3 %}")
    with caplog.at_level(logging.WARNING, logger="crowdwall.templatetags"):
        assert render("{% live_updates 'nope' %}") == ""


def test_posts_carry_their_id_for_live_updates(posts):
    html = render("{% render_posts wall 10 %}", wall=posts)
    for pk in Post.objects.filter(external_id__in=["5", "3"]).values_list("pk", flat=True):
        assert f'data-post-id="{pk}" id="post-{pk}"' in html
