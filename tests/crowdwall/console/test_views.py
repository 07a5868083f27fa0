"""The console's wall pages: organisers only, create and edit with the models' validation shown
inline, bans and slides saved with the wall, the audit log, and the rule explainer."""

from __future__ import annotations

import pytest

from crowdwall.models import (
    BannedAuthor,
    BannedWord,
    ModerationAction,
    ModerationLog,
    PostWall,
    TrustedAccount,
    Wall,
)
from tests.crowdwall.conftest import make_post
from tests.crowdwall.console.conftest import CONSOLE

pytestmark = pytest.mark.django_db

SLIDES = {
    "slides-TOTAL_FORMS": "1",
    "slides-INITIAL_FORMS": "0",
    "slides-MIN_NUM_FORMS": "0",
    "slides-MAX_NUM_FORMS": "1000",
}


def wall_data(**fields: str) -> dict[str, str]:
    data = {
        "name": "PyCon",
        "slug": "pycon",
        "is_active": "on",
        "hashtags": "#PyCon\npycon2026",
        "keywords": '"python conference"',
        "accounts": "",
        "languages": "en\nde",
        "moderation": "open",
        "use_default_blocklist": "on",
        "screen_layout": "columns",
        "screen_theme": "dark",
        "slide_every": "0",
        "overlay_position": "bottom-left",
        "overlay_size": "m",
        "overlay_background": "transparent",
        "banned_words": "",
        "banned_authors": "",
        **SLIDES,
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", CONSOLE),
        ("get", CONSOLE + "new/"),
        ("post", CONSOLE + "new/"),
        ("get", CONSOLE + "walls/djangocon/"),
        ("post", CONSOLE + "walls/djangocon/"),
        ("post", CONSOLE + "rules/"),
        ("get", CONSOLE + "walls/djangocon/sources/new/"),
        ("post", CONSOLE + "walls/djangocon/sources/new/"),
    ],
)
def test_members_get_403_and_anonymous_page_views_the_login(client, member, wall, method, path):
    refused = getattr(member, method)(path)
    assert refused.status_code == 403
    assert "no-store" in refused["Cache-Control"]
    anonymous = getattr(client, method)(path)
    if method == "get":
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    else:
        assert anonymous.status_code == 403
    assert Wall.objects.count() == 1


def test_the_list_shows_every_wall_with_links(organiser, wall):
    response = organiser.get(CONSOLE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-console-wall="djangocon"' in html
    assert f'href="{CONSOLE}walls/djangocon/"' in html
    assert 'href="/walls/djangocon/moderate/"' in html


def test_creating_a_wall_normalises_its_rules_logs_and_redirects(organiser, db):
    response = organiser.post(
        CONSOLE + "new/",
        wall_data(**{"slides-0-title": "Thanks to our sponsors", "banned_words": "spam*"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == CONSOLE + "walls/pycon/"
    wall = Wall.objects.get(slug="pycon")
    assert wall.hashtags == ["pycon", "pycon2026"]  # '#' and case dropped, as Wall.clean does
    assert wall.languages == ["en", "de"]
    assert [s.title for s in wall.slides.all()] == ["Thanks to our sponsors"]
    assert list(BannedWord.objects.filter(wall=wall).values_list("word", flat=True)) == ["spam*"]
    log = ModerationLog.objects.filter(action=ModerationAction.CONFIGURE).get()
    assert log.detail == {"created": "pycon"}
    page = organiser.get(response["Location"]).content.decode()
    assert "Saved PyCon." in page
    assert "posts tagged #pycon (any case)" in page  # what each rule matches, without JS


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"keywords": '"unbalanced'}, "keywords", "Unbalanced quote"),
        ({"hashtags": "two words"}, "hashtags", "cannot contain spaces"),
        ({"languages": "english!"}, "languages", "Not language codes"),
        ({"brand_color": "green"}, "brand_color", "#rrggbb"),
        ({"slug": "console"}, "slug", "taken by a page of its own"),
        ({"slug": "djangocon"}, "slug", "already exists"),
        ({"banned_words": "a*\n*"}, "banned_words", "prefix needs"),
        ({"slides-0-image_alt": "an image without anything"}, "slides", "needs a title"),
        ({"hashtags": "py\x00con"}, "hashtags", "NUL"),  # PostgreSQL cannot store it: a 400
    ],
)
def test_invalid_settings_are_shown_inline_and_nothing_is_saved(
    organiser, wall, fields, field, message
):
    response = organiser.post(CONSOLE + "new/", wall_data(**fields))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert Wall.objects.count() == 1
    assert not ModerationLog.objects.exists()
    # What the organiser typed is kept.
    assert (fields.get("keywords") or "python conference").strip('"') in html


def test_editing_a_wall_changes_its_bans_and_logs_field_names(organiser, wall):
    BannedWord.objects.create(wall=wall, word="old")
    data = wall_data(
        name="DjangoCon EU",
        slug="djangocon",
        hashtags="djangocon",
        banned_words="new",
        banned_authors="@Troll@spam.example",
        moderation="pre_approve",
    )
    response = organiser.post(CONSOLE + "walls/djangocon/", data)
    assert response.status_code == 302
    wall.refresh_from_db()
    assert (wall.name, wall.moderation) == ("DjangoCon EU", "pre_approve")
    assert list(BannedWord.objects.filter(wall=wall).values_list("word", flat=True)) == ["new"]
    assert BannedAuthor.objects.get(wall=wall).account == "@troll@spam.example"
    configure = ModerationLog.objects.filter(action=ModerationAction.CONFIGURE).get()
    assert {"name", "moderation", "banned_words", "banned_authors"} <= set(
        configure.detail["changed"]
    )
    actions = set(ModerationLog.objects.values_list("action", flat=True))
    assert {"ban_word", "unban_word", "ban_author"} <= actions


def test_an_unknown_wall_is_404(organiser, db):
    assert organiser.get(CONSOLE + "walls/nope/").status_code == 404


def test_the_rule_explainer_answers_with_the_matchers_reading(organiser, db):
    response = organiser.post(
        CONSOLE + "rules/", {"field": "keywords", "value": 'djang*\n"fast web"\n=PyPI\nbad"'}
    )
    assert response.status_code == 200
    lines = response.json()["lines"]
    assert [line["means"] for line in lines[:3]] == [
        "words starting with “djang” (any case)",
        "the exact phrase “fast web” (any case)",
        "the word “PyPI” (case-sensitive)",
    ]
    assert "Unbalanced quote" in lines[3]["error"]
    unknown = organiser.post(CONSOLE + "rules/", {"field": "secret", "value": "x"})
    assert unknown.status_code == 400 and "Unknown field" in unknown.json()["error"]


def test_a_wall_the_user_may_not_organise_is_403_and_not_stored(organiser, wall, monkeypatch):
    from crowdwall.console import access

    # Per-wall roles will answer "not this wall" through the same function.
    monkeypatch.setattr(access, "may_organise", lambda user, wall=None: wall is None)
    response = organiser.get(CONSOLE + "walls/djangocon/")
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]
    assert 'data-console-wall="djangocon"' not in organiser.get(CONSOLE).content.decode()


@pytest.mark.parametrize(
    ("role", "own_wall", "other_wall", "create", "listed"),
    [
        ("organiser", 200, 403, 403, ["djangocon"]),
        ("moderator", 403, 403, 403, []),
        ("viewer", 403, 403, 403, []),
    ],
)
def test_per_wall_roles_in_the_console(
    client, django_user_model, wall, role, own_wall, other_wall, create, listed
):
    """A non-staff user with a role (crowdwall.moderation.access): organisers set up their own
    walls only; creating walls is site-wide; moderators and viewers have no console pages."""
    from crowdwall.models import WallRole

    other = Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    user = django_user_model.objects.create_user("ro")
    WallRole.objects.create(wall=wall, user=user, role=role)
    client.force_login(user)
    assert client.get(CONSOLE + "walls/djangocon/").status_code == own_wall
    assert client.get(CONSOLE + f"walls/{other.slug}/").status_code == other_wall
    assert client.get(CONSOLE + "new/").status_code == create
    assert client.post(CONSOLE + "new/", wall_data(name="Mine", slug="mine")).status_code == create
    page = client.get(CONSOLE)
    assert page.status_code == 200  # anyone with a role may open the console
    html = page.content.decode()
    assert [slug for slug in ("djangocon", "other") if f"walls/{slug}/" in html] == listed
    assert not Wall.objects.filter(slug="mine").exists()


def test_trusted_accounts_are_kept_in_the_wall_form_and_approve_the_waiting_posts(
    organiser, wall, store
):
    wall.moderation = "pre_approve"
    wall.save()
    waiting = store(make_post(1)).events[0].post_id
    data = wall_data(slug="djangocon", hashtags="djangocon", moderation="pre_approve")
    response = organiser.post(
        CONSOLE + "walls/djangocon/", {**data, "trusted_accounts": "@Ann@Social.Example"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = PostWall.objects.get(post_id=waiting)
    assert (entry.state, entry.reason) == (
        "approved", "auto-approved because @ann@social.example is trusted",
    )  # fmt: skip
    assert ModerationLog.objects.filter(action="approve", actor_name="org").get().count == 1
    page = organiser.get(CONSOLE + "walls/djangocon/").content.decode()
    assert "@ann@social.example" in page  # shown back in the form
    organiser.post(CONSOLE + "walls/djangocon/", {**data, "trusted_accounts": ""})
    assert not TrustedAccount.objects.exists()
    details = list(ModerationLog.objects.values_list("detail", flat=True))
    assert {"trusted": "@ann@social.example"} in details
    assert {"untrusted": "@ann@social.example"} in details


def test_a_bad_trusted_account_is_shown_on_the_form(organiser, wall):
    data = wall_data(slug="djangocon", hashtags="djangocon", trusted_accounts="@")
    response = organiser.post(CONSOLE + "walls/djangocon/", data)
    assert response.status_code == 400
    assert not TrustedAccount.objects.exists()
    assert "@: Name an account id or @handle." in response.content.decode()
