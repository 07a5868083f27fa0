"""The big screen, its overlay, the wall's stylesheet and the "load earlier posts" fragment:
what they render (layouts, themes, slides, overlay placement), what they refuse (400, never
500), and how they are cached and purged. Their looks: tests/crowdwall/browser/."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from crowdwall.caching import purge_walls
from crowdwall.models import ModerationState, Post, PostWall, Slide, Wall
from crowdwall.moderation.actions import set_pinned, set_state
from crowdwall.screen import qr_svg
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db

SCREEN = "/walls/djangocon/screen/"
OVERLAY = "/walls/djangocon/overlay/"
CSS = "/walls/djangocon/wall.css"
EARLIER = "/walls/djangocon/posts/"


def get(path: str, **params):
    return Client().get(path, params)


def shown(response) -> list[str]:
    """External ids of the timeline's posts (``id="post-<pk>"``), in order."""
    pks = [int(pk) for pk in re.findall(r'\bid="post-(\d+)"', response.content.decode())]
    by_pk = dict(Post.objects.filter(pk__in=pks).values_list("pk", "external_id"))
    return [by_pk[pk] for pk in pks]


def pk(external_id: str) -> int:
    return Post.objects.get(external_id=external_id).pk


def test_screen_renders_banner_posts_and_live_root(store, wall):
    Wall.objects.filter(pk=wall.pk).update(info_text="Wi-Fi: <djangocon>")
    store(make_post(1), make_post(2, boost=True))
    page = get(SCREEN)
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        '<html lang="en" class="screen-page theme-dark layout-columns" style="--brand-ink:' in body
    )
    assert "<h1>DjangoCon</h1>" in body and "#djangocon" in body
    assert '<p class="info">Wi-Fi: &lt;djangocon&gt;</p>' in body  # plain text, escaped
    assert shown(page) == ["2", "1"]
    root = re.search(r"<main [^>]*data-live-root[^>]*>", body).group(0)
    assert f'data-last-id="{pk("2")}"' in root and 'data-wall="djangocon"' in root
    assert 'data-quiet-seconds="60"' in root and 'data-layout="columns"' in root
    assert 'data-locale="en"' in root
    assert f'data-post-id="{pk("2")}" id="post-{pk("2")}" data-boost="1"' in body
    assert re.search(r"<p [^>]*data-live-status[^>]*data-state=\"connecting\"", body)
    assert 'src="crowdwall/live.js" defer' in body and 'src="crowdwall/screen.js" defer' in body
    assert "data-load-earlier" not in body and "<button" not in body  # nobody can click it
    assert not re.search(r"<style[\s>]", body) and "/wall.css" not in body  # no custom CSS


def test_screen_qr_code_points_at_the_wall_page_or_the_walls_qr_url(wall):
    body = get(SCREEN).content.decode()
    assert re.search(r'<a class="qr" href="http://testserver/walls/djangocon/"[^>]*><svg ', body)
    assert str(qr_svg("http://testserver/walls/djangocon/")) in body
    Wall.objects.filter(pk=wall.pk).update(qr_url="https://djangocon.example/join")
    body = get(SCREEN, theme="dark").content.decode()  # another cache key: no purge needed
    assert 'href="https://djangocon.example/join"' in body
    Wall.objects.filter(pk=wall.pk).update(qr_url="javascript:alert(1)")  # not via a form
    body = get(SCREEN, theme="light").content.decode()
    assert "javascript:" not in body and '<a class="qr"><svg ' in body
    assert "qr-address" not in body
    assert qr_svg("https://x.example/") is qr_svg("https://x.example/")  # generated once


def test_qr_svg_is_plain_modules_without_the_url_text():
    svg = str(qr_svg('https://x.example/"><script>alert(1)</script>'))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "script" not in svg and "x.example" not in svg
    assert 'fill="#fff"' in svg and 'stroke="#000"' in svg  # dark on white in both themes


@pytest.mark.parametrize(("query", "theme"), [({}, "dark"), ({"theme": "light"}, "light")])
def test_screen_themes(wall, query, theme):
    body = get(SCREEN, **query).content.decode()
    assert f'class="screen-page theme-{theme} layout-columns"' in body


def test_the_walls_theme_is_the_default(wall):
    Wall.objects.filter(pk=wall.pk).update(screen_theme="light")
    assert "theme-light " in get(SCREEN).content.decode()
    assert "theme-dark " in get(SCREEN, theme="dark").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"theme": "pink"},
        {"theme": "<x>"},
        {"overlay": "yes"},
        {"layout": "grid"},
        {"layout": "<x>"},
        {"position": "middle"},
        {"size": "xl"},
        {"background": "blue"},
    ],
)
def test_bad_screen_options_are_400(wall, query):
    response = get(SCREEN, **query)
    assert response.status_code == 400
    assert "<x>" not in response.content.decode()


def test_unknown_or_inactive_wall_is_404_everywhere(wall):
    Wall.objects.filter(pk=wall.pk).update(is_active=False)
    for path in (SCREEN, OVERLAY, CSS):
        assert get(path).status_code == 404
    assert get(EARLIER, before="1").status_code == 404


def test_pinned_posts_are_in_the_pinned_strip(store, wall, django_capture_on_commit_callbacks):
    store(make_post(1), make_post(2))
    body = get(SCREEN).content.decode()
    assert re.search(r"<section [^>]*data-pinned[^>]*hidden>", body)  # empty: hidden
    with django_capture_on_commit_callbacks(execute=True):
        set_pinned(PostWall.objects.filter(post__external_id="1"), True)
    body = get(SCREEN).content.decode()
    strip = re.search(r"<section [^>]*data-pinned.*?</section>", body, re.S).group(0)
    assert "hidden>" not in strip.split("\n")[0]
    assert f'data-post-id="{pk("1")}" id="pinned-post-{pk("1")}"' in strip
    assert shown(get(SCREEN)) == ["2", "1"]  # and still in the timeline


def test_overlay_is_transparent_without_chrome(store, wall):
    store(*[make_post(n) for n in range(1, 8)])
    for page in (get(OVERLAY), get(SCREEN, overlay="1")):
        body = page.content.decode()
        assert (
            'class="screen-page theme-dark layout-columns is-overlay overlay-bottom-left'
            ' overlay-size-m overlay-bg-transparent"'
        ) in body
        assert "screen-banner" not in body and "data-pinned" not in body
        assert "data-load-earlier" not in body and "<svg" not in body
        assert 'data-max-posts="4"' in body and 'data-quiet-seconds="0"' in body
        assert shown(page) == ["7", "6", "5", "4"]
        assert "data-live-config" in body


def test_wall_css_is_a_stylesheet_linked_never_inlined(wall):
    css = "body { background: hotpink; } </style><script>alert(1)</script>"
    Wall.objects.filter(pk=wall.pk).update(custom_css=css, updated_at=timezone.now())
    response = get(CSS)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == css
    version = int(Wall.objects.get(pk=wall.pk).updated_at.timestamp())
    for page in (get(SCREEN, theme="light"), get("/walls/djangocon/")):
        body = page.content.decode()
        assert f'<link rel="stylesheet" href="/walls/djangocon/wall.css?v={version}">' in body
        assert "hotpink" not in body and "alert(1)" not in body
    assert get(CSS, v=str(version)).status_code == 200
    assert get(CSS, v="x<y").status_code == 400


def test_an_empty_wall_css_is_an_empty_stylesheet(wall):
    response = get(CSS)
    assert response.status_code == 200 and response.content == b""


@pytest.fixture
def sixty(store, wall):
    store(*[make_post(n) for n in range(1, 61)])
    return wall


def test_earlier_fragment_pages_back_by_post_id(sixty):
    first = get(EARLIER, before=str(pk("60")))
    assert first.status_code == 200
    assert shown(first) == [str(n) for n in range(59, 9, -1)]  # one archive page: 50
    assert "data-end" not in first.content.decode()
    assert "<html" not in first.content.decode()  # a fragment, not a page
    rest = get(EARLIER, before=str(pk("10")))
    assert shown(rest) == [str(n) for n in range(9, 0, -1)]
    assert '<p class="empty" data-end>No earlier posts.</p>' in rest.content.decode()


def test_earlier_fragment_skips_posts_not_approved(sixty):
    set_state(PostWall.objects.filter(post__external_id="5"), ModerationState.REJECTED)
    assert "5" not in shown(get(EARLIER, before=str(pk("7"))))


@pytest.mark.parametrize(
    "bad", ["", "yesterday", "999999", "<script>", "99999999999999999999999", "²", "-1"]
)
def test_earlier_fragment_bad_positions_are_400(sixty, bad):
    response = get(EARLIER, before=bad)
    assert response.status_code == 400
    assert bad not in response.content.decode() or bad == ""


def test_earlier_fragment_is_cached_until_ingest_purges_it(store, sixty, django_assert_num_queries):
    before = str(pk("3"))
    assert shown(get(EARLIER, before=before)) == ["2", "1"]
    with django_assert_num_queries(0):
        cached = get(EARLIER, before=before, junk="1")  # query junk shares the entry
    assert shown(cached) == ["2", "1"]
    store(make_post(0))  # older than all: the fragment changes, and the purge shows it
    assert shown(get(EARLIER, before=before)) == ["2", "1", "0"]


def test_screen_is_cached_per_theme_and_purged_by_ingest(store, wall, django_assert_num_queries):
    store(make_post(1))
    assert shown(get(SCREEN)) == ["1"]
    with django_assert_num_queries(0):
        cached = get(SCREEN, utm_source="x")
    assert shown(cached) == ["1"]
    store(make_post(2))
    assert shown(get(SCREEN)) == ["2", "1"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_earlier_fragment_times_that_overflow_utc_are_400(sixty, moment):
    assert get(EARLIER, before=moment).status_code == 400


def test_earlier_fragment_held_ids_answer_like_unknown_ones(sixty):
    set_state(PostWall.objects.filter(post__external_id="5"), ModerationState.PENDING)
    held, unknown = get(EARLIER, before=str(pk("5"))), get(EARLIER, before="999999")
    assert (held.status_code, held.content) == (unknown.status_code, unknown.content)


def test_theme_repeated_takes_the_last_value_on_every_request(wall):
    # One rule (Django's: the last value wins) for the page and its cache key alike.
    dark_last = get(f"{SCREEN}?theme=light&theme=dark")
    light_last = get(f"{SCREEN}?theme=dark&theme=light")
    assert "theme-dark" in dark_last.content.decode()
    assert "theme-light" in light_last.content.decode()
    assert "theme-dark" in get(f"{SCREEN}?theme=light&theme=dark").content.decode()


def test_qr_code_is_captioned_with_what_it_opens(wall):
    body = get(SCREEN).content.decode()
    caption = re.search(r"<figcaption>(.*?)</figcaption>", body, re.S).group(1)
    assert "Scan to follow the wall on your phone" in caption
    assert '<span class="qr-address">testserver/walls/djangocon</span>' in caption
    Wall.objects.filter(pk=wall.pk).update(qr_url="https://djangocon.example/join")
    body = get(SCREEN, theme="light").content.decode()
    assert '<span class="qr-address">djangocon.example/join</span>' in body


@pytest.mark.parametrize("layout", ["columns", "spotlight", "media", "ticker"])
def test_layouts_by_query_and_by_wall(wall, layout):
    body = get(SCREEN, layout=layout).content.decode()
    assert f"layout-{layout}" in body and f'data-layout="{layout}"' in body
    Wall.objects.filter(pk=wall.pk).update(screen_layout=layout)
    assert f'data-layout="{layout}"' in get(SCREEN, theme="light").content.decode()
    # Only the columns re-show older posts; the ticker has no pinned strip.
    assert ('data-quiet-seconds="60"' in body) == (layout == "columns")
    assert ("data-pinned" in body) == (layout != "ticker")


def test_brand_colour_logo_and_language(wall):
    Wall.objects.filter(pk=wall.pk).update(
        brand_color="#7b2cbf", logo_url="https://djangocon.example/logo.svg", languages=["de"]
    )
    body = get(SCREEN, theme="brand").content.decode()
    assert (
        'class="screen-page theme-brand layout-columns" style="--brand: #7b2cbf; --on-mark: #ffffff; '
        "--brand-ink: #ffffff; --brand-muted: #ddc9ef; --brand-on-card: #7b2cbf; "
        '--brand-edge: transparent">'
    ) in body
    # A light brand gets black ink; no brand: the default colour's inks (any theme, since a
    # screen can be switched to the brand theme while open).
    Wall.objects.filter(pk=wall.pk).update(brand_color="#f5c518")
    purge_walls([wall.slug])
    assert (
        "--brand: #f5c518; --on-mark: #000000; --brand-ink: #000000;"
        in get(SCREEN, theme="brand").content.decode()
    )
    Wall.objects.filter(pk=wall.pk).update(brand_color="")
    purge_walls([wall.slug])
    assert 'style="--brand-ink: #ffffff;' in get(SCREEN, theme="dark").content.decode()
    logo = '<img class="logo" src="https://djangocon.example/logo.svg" alt="" data-fallback="hide">'
    assert logo in body  # fallback.js removes it when it fails to load
    assert 'data-locale="de"' in body


def test_brand_colour_must_be_a_hex_colour(wall):
    from django.core.exceptions import ValidationError

    for bad in ("red", "#12345", "#1234567", "#12345g", "#fff;}"):
        wall.brand_color = bad
        with pytest.raises(ValidationError) as exc:
            wall.full_clean()
        assert "brand_color" in exc.value.message_dict
    wall.brand_color = "#0B6e4f"
    wall.full_clean()


def test_slides_render_for_screen_js_when_the_wall_interleaves_them(wall):
    Slide.objects.create(wall=wall, position=2, title="Second", text="<b>plain</b>")
    Slide.objects.create(
        wall=wall, position=1, title="Sponsor", image_url="https://x.example/l.png"
    )
    Slide.objects.create(wall=wall, position=3, title="Off", is_active=False)
    assert "data-slides" not in get(SCREEN).content.decode()  # slide_every 0: none
    Wall.objects.filter(pk=wall.pk).update(slide_every=5)
    body = get(SCREEN, theme="light").content.decode()
    holder = re.search(r'<div class="screen-slides" data-slides data-every="5" hidden>.*?</div>',
                       body, re.S).group(0)  # fmt: skip
    assert re.findall(r"<h2>(.*?)</h2>", holder) == ["Sponsor", "Second"]
    assert "&lt;b&gt;plain&lt;/b&gt;" in holder and "Off" not in holder
    assert "data-slides" not in get(OVERLAY).content.decode()


def test_a_slide_needs_something_to_show(wall):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Slide(wall=wall).full_clean()


@pytest.mark.parametrize(
    ("query", "classes"),
    [
        ({}, "overlay-bottom-left overlay-size-m overlay-bg-transparent"),
        (
            {"position": "top-right", "size": "l", "background": "chroma"},
            "overlay-top-right overlay-size-l overlay-bg-chroma",
        ),
    ],
)
def test_overlay_position_size_and_background(wall, query, classes):
    assert classes in get(OVERLAY, **query).content.decode()


def test_overlay_defaults_come_from_the_wall(wall):
    Wall.objects.filter(pk=wall.pk).update(
        overlay_position="top-left", overlay_size="s", overlay_background="chroma"
    )
    body = get(OVERLAY).content.decode()
    assert "overlay-top-left overlay-size-s overlay-bg-chroma" in body


def test_every_screen_option_is_its_own_cache_entry(wall, django_assert_num_queries):
    get(SCREEN, layout="ticker")
    with django_assert_num_queries(0):
        assert "layout-ticker" in get(SCREEN, layout="ticker").content.decode()
    assert "layout-spotlight" in get(SCREEN, layout="spotlight").content.decode()
    assert "overlay-top-left" in get(OVERLAY, position="top-left").content.decode()
    assert "overlay-bottom-left" in get(OVERLAY).content.decode()
