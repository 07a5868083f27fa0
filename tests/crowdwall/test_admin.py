"""The admin: list fields edited as lines, secrets kept, moderation only through actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory, modify_settings

from crowdwall.models import BannedWord, ModerationState, PostWall, Source, Wall
from tests.crowdwall.conftest import make_post
from tests.crowdwall.test_rule_limits import TOO_LONG, TOO_MANY

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def crowdwall_admin() -> Iterator[object]:
    """crowdwall.admin, with django.contrib.admin installed (the test settings leave it out)."""
    with modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"}):
        from crowdwall import admin

        yield admin


@pytest.fixture
def request_():
    request = RequestFactory().post("/admin/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


class FakeModelAdmin:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def message_user(self, request, message) -> None:
        self.messages.append(message)


def test_wall_form_reads_lines_and_validates(crowdwall_admin):
    form = crowdwall_admin.WallForm(
        data={
            "name": "DjangoCon",
            "slug": "djangocon",
            "is_active": "on",
            "hashtags": "#DjangoCon, python\n#htmx",
            "keywords": '"django, the web framework"\npython*',
            "accounts": "",
            "languages": "en, de",
            "moderation": "open",
            "use_default_blocklist": "on",
        }
    )
    assert form.is_valid(), form.errors
    wall = form.save()
    assert wall.hashtags == ["djangocon", "python", "htmx"]
    assert wall.keywords == ['"django, the web framework"', "python*"]
    assert wall.languages == ["en", "de"]
    bad = crowdwall_admin.WallForm(
        data={"name": "x", "slug": "x", "keywords": '"oops', "moderation": "open"}
    )
    assert not bad.is_valid() and "keywords" in bad.errors


def test_source_form_keeps_the_secret_when_left_empty(crowdwall_admin, wall):
    source = Source.objects.create(wall=wall, name="hook", kind="webhook", secret="s3cret")
    form = crowdwall_admin.SourceForm(
        instance=source,
        data={
            "wall": wall.pk,
            "name": "hook",
            "kind": "webhook",
            "config": "{}",
            "secret": "",
            "enabled": "on",
        },
    )
    assert form.is_valid(), form.errors
    assert form.save().secret == "s3cret"
    assert "s3cret" not in str(form["secret"])  # never rendered back into the page


def test_moderation_actions_go_through_moderation(
    crowdwall_admin, store, wall, published, request_, django_capture_on_commit_callbacks
):
    store(make_post(1), make_post(2))
    published.events.clear()
    modeladmin = FakeModelAdmin()
    with django_capture_on_commit_callbacks(execute=True):
        crowdwall_admin.reject(modeladmin, request_, PostWall.objects.filter(post__external_id="1"))
        crowdwall_admin.pin(modeladmin, request_, PostWall.objects.all())
    assert modeladmin.messages == ["1 post(s) rejected.", "1 post(s) pinned."]
    assert dict(PostWall.objects.values_list("post__external_id", "state")) == {
        "1": ModerationState.REJECTED,
        "2": ModerationState.APPROVED,
    }
    assert [e.kind for e in published.events] == ["post.moderation", "post.moderation"]


def test_saving_a_ban_applies_it_to_stored_posts(crowdwall_admin, store, wall, request_):
    from django.contrib import admin

    store(make_post(1, html="<p>#djangocon spam spam</p>"), make_post(2))
    ban_admin = crowdwall_admin.BannedWordAdmin(BannedWord, admin.site)
    ban = BannedWord(wall=wall, word="spam")
    ban_admin.save_model(request_, ban, form=None, change=False)
    assert dict(PostWall.objects.values_list("post__external_id", "state")) == {
        "1": ModerationState.REJECTED,
        "2": ModerationState.APPROVED,
    }


def test_posts_are_read_only_in_the_admin(crowdwall_admin, request_):
    from django.contrib import admin

    from crowdwall.models import Post

    post_admin = crowdwall_admin.PostAdmin(Post, admin.site)
    assert not post_admin.has_add_permission(request_)
    assert not post_admin.has_change_permission(request_)
    assert admin.site.is_registered(Wall) and admin.site.is_registered(PostWall)


def source_form(admin, wall, **data):
    fields = {"wall": wall.pk, "name": "s", "config": "{}", "secret": "", "enabled": "on"}
    return admin.SourceForm(data={**fields, **data})


@pytest.mark.parametrize(
    ("kind", "config", "scope"),
    [("webhook", "{}", "own"), ("mastodon", '{"instance": "https://social.example"}', "any")],
)
def test_source_form_shows_the_scope_and_fills_the_kinds_default(
    crowdwall_admin, wall, kind, config, scope
):
    form = source_form(crowdwall_admin, wall, kind=kind, config=config, secret="s3cret")
    assert "scope" in form.fields
    assert form.is_valid(), form.errors
    assert form.save().scope == scope


def test_source_form_refuses_scope_any_for_a_webhook(crowdwall_admin, wall):
    form = source_form(crowdwall_admin, wall, kind="webhook", secret="s3cret", scope="any")
    assert not form.is_valid()
    assert "own wall only" in form.errors["scope"][0]
    assert not Source.objects.exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "-5"])
def test_source_form_refuses_numbers_out_of_range(crowdwall_admin, wall, value):
    form = source_form(crowdwall_admin, wall, kind="replay", config=f'{{"rate": {value}}}')
    assert not form.is_valid()
    assert "'rate' must be a number" in form.errors["config"][0]


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/no-such-file", "../../../etc/passwd"])
def test_source_form_refuses_replay_files_outside_the_allowed_directories(
    crowdwall_admin, wall, path
):
    form = source_form(crowdwall_admin, wall, kind="replay", config=f'{{"path": "{path}"}}')
    assert not form.is_valid()
    assert form.errors["config"] == [
        "'path' must name a replay file among the bundled samples or in a directory listed "
        "in CROWDWALL['REPLAY_DIRS']."
    ]


@pytest.mark.parametrize("field", ["hashtags", "keywords", "accounts", "languages"])
@pytest.mark.parametrize("values", [TOO_MANY, TOO_LONG], ids=["too many", "too long"])
def test_wall_form_refuses_rules_beyond_their_bounds(crowdwall_admin, field, values):
    data = {"name": "W", "slug": "w", "moderation": "open", field: "\n".join(values[field])}
    form = crowdwall_admin.WallForm(data=data)
    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert not Wall.objects.exists()


def test_ban_forms_refuse_bans_beyond_the_walls_limit(crowdwall_admin, wall, two_at_most):
    from django.contrib.admin.sites import site
    from django.forms import modelform_factory

    for word in ("one", "two"):
        BannedWord.objects.create(wall=wall, word=word)
    admin_class = crowdwall_admin.BannedWordAdmin(BannedWord, site)
    form_class = modelform_factory(BannedWord, form=admin_class.form, fields=["wall", "word"])
    form = form_class(data={"wall": wall.pk, "word": "three"})
    assert not form.is_valid()
    assert "at most 2 banned words" in form.errors["word"][0]
