"""What the steps look for on a page, and how they wait for it (never a fixed sleep)."""

from __future__ import annotations

import contextlib
from typing import Any

from playwright.sync_api import expect

from tests.fixtures.browser import TIMEOUT_MS

POSTS = "[data-live-root] article.post"  # the wall's and the big screen's own posts
STATUS = "[data-live-status]"
SAME_DOCUMENT = "window.__acceptanceSameDocument"  # set after load; a reload forgets it

# Playwright's expect() waits 5 s by default; a busy CI machine needs the browser fixtures' 10 s.
expect.set_options(timeout=TIMEOUT_MS)


def visit(page: Any, url: str) -> Any:
    """Open ``url`` and mark the document, so "without a reload" can be checked later."""
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    with contextlib.suppress(Exception):  # JavaScript switched off: nothing to mark
        page.evaluate(f"{SAME_DOCUMENT} = true")
    return response


def wait_live(page: Any) -> None:
    """Until the page says its live connection is up."""
    expect(page.locator(STATUS).first).to_have_attribute("data-state", "live")


def assert_not_reloaded(page: Any) -> None:
    assert page.evaluate(f"{SAME_DOCUMENT} === true"), "the page was reloaded"


def post(page: Any, text: str, within: str = POSTS) -> Any:
    return page.locator(within, has_text=text)
