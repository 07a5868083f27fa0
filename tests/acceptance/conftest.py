"""Acceptance scenarios (pytest-bdd) in real Chromium against the running site.

Session fixtures start the site once (``site``: memcached + uvicorn; ``edge``: nginx from
herdcache's generator, only when an ``@edge`` scenario asks). Each scenario gets a fresh wall
(``scene``) and the people who take part (``people``). Steps that several features share live
here; a feature's own steps live in its ``test_*.py``.

Steps wait on what the page shows (Playwright's auto-waiting ``expect``, ``data-state``), never
on fixed sleeps: the machine running them may be busy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pytest_bdd import given, parsers, then, when

from herdcache.edge.nginx import render_config
from tests.acceptance.browsing import assert_not_reloaded, post, visit, wait_live
from tests.acceptance.people import People
from tests.acceptance.scene import Scene
from tests.acceptance.stack import Site
from tests.fixtures.nginx_generated import run_generated
from tests.fixtures.servers import Server, memcached_command, run_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every scenario here is marked ``acceptance`` (``-m "not acceptance"`` skips them all)."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.acceptance)


# Fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def acceptance_memcached() -> Iterator[Server]:
    """The site's own memcached: other tests flush the shared one."""
    yield from run_server("memcached-acceptance", memcached_command)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, acceptance_memcached: Server) -> Iterator[Site]:
    """The acceptance site under uvicorn, for the whole session."""
    running = Site.start(tmp_path_factory.mktemp("acceptance"), acceptance_memcached.address)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def edge(site: Site, acceptance_memcached: Server) -> Iterator[Server]:
    """nginx serving cached pages straight from memcached, Django (uvicorn) behind it."""

    def config(port: int, prefix: Path) -> str:
        return render_config(
            listen=f"127.0.0.1:{port}",
            upstream=site.server.address,
            servers=[acceptance_memcached.address],
            prefix=str(prefix),
            worker_processes=1,
        )

    with contextlib.contextmanager(run_generated)(config, name="nginx-acceptance") as nginx:
        yield nginx


@pytest.fixture
def scene(site: Site) -> Scene:
    """This scenario's wall (created by a Given step)."""
    return Scene(site)


@pytest.fixture
def people(chromium: Any, request: pytest.FixtureRequest, site: Site) -> Iterator[People]:
    everyone = People(chromium, request, site)
    yield everyone
    everyone.close()


# Helpers that need fixtures ----------------------------------------------------------------


def visitor(people: People, request: pytest.FixtureRequest) -> Any:
    """The visitor's page: the ``page`` fixture (or ``page_without_js`` once chosen)."""
    if "visitor" not in people.pages:
        people.add("visitor", request.getfixturevalue("page"))
    return people.pages["visitor"]


# Shared steps -----------------------------------------------------------------------------


@given("a wall with these posts:", target_fixture="scene")
def wall_with_posts(scene: Scene, datatable: list[list[str]]) -> Scene:
    header, *rows = datatable
    scene.create()
    posts = []
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        boost = cells.get("boosted", "no").strip().lower() in ("yes", "true")
        posts.append(scene.post(cells["text"], by=cells["author"], boost=boost))
    scene.ingest(*posts)
    return scene


@given("a pre-approve wall", target_fixture="scene")
def pre_approve_wall(scene: Scene) -> Scene:
    return scene.create(moderation="pre_approve")


@given("I have the wall open and it is live")
def wall_open_and_live(scene: Scene, people: People, request: pytest.FixtureRequest) -> None:
    page = visitor(people, request)
    visit(page, scene.url())
    wait_live(page)


@given("the big screen is showing the wall")
def big_screen_showing(scene: Scene, people: People) -> None:
    screen = people.page("big screen")
    visit(screen, scene.url("screen/"))
    wait_live(screen)


@given("I am logged in as a moderator")
def logged_in_moderator(people: People) -> None:
    people.moderator()


@when("I open the wall")
def open_wall(scene: Scene, people: People, request: pytest.FixtureRequest) -> None:
    visit(visitor(people, request), scene.url())


@when(parsers.parse('somebody posts "{text}"'))
def somebody_posts(scene: Scene, text: str) -> None:
    scene.ingest(scene.post(text, by="someone"))


@then(parsers.parse('I see the post "{text}" by {name}'))
def see_post_by(people: People, text: str, name: str) -> None:
    found = post(people.pages["visitor"], text)
    expect(found).to_be_visible()
    expect(found).to_contain_text(f"@{name}@social.example")


@then(parsers.parse('the wall shows "{text}" without a reload'))
def wall_shows_live(people: People, text: str) -> None:
    page = people.pages["visitor"]
    expect(post(page, text)).to_be_visible()
    assert_not_reloaded(page)


@then(parsers.parse('the wall does not show "{text}"'))
def wall_does_not_show(people: People, text: str) -> None:
    expect(post(people.pages["visitor"], text)).to_have_count(0)


@then("the page has no script errors")
def no_script_errors(people: People) -> None:
    assert people.pages["visitor"].console_log.errors == []


@then("the big screen has no script errors")
def screen_no_script_errors(people: People) -> None:
    assert people.pages["big screen"].console_log.errors == []
