"""The people in a scenario, each with their own browser context (cookies, storage, JS on/off).

The visitor is the ``page`` fixture of ``tests.fixtures.browser``; everyone else (a moderator,
the big screen in the hall, a second anonymous visitor) gets a context here. On failure each
person's screenshot and console log go to ``test-artifacts/<test id>_<person>/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.site import PASSWORD
from tests.acceptance.stack import Site
from tests.fixtures.browser import TIMEOUT_MS, PageLog, save_artifacts

MODERATOR = "moderator"


class People:
    """Browser pages by person, opened on first use, closed (and saved on failure) at the end."""

    def __init__(self, chromium: Any, request: pytest.FixtureRequest, site: Site) -> None:
        self.chromium = chromium
        self.request = request
        self.site = site
        self.pages: dict[str, Any] = {}
        self._contexts: list[tuple[str, Any, PageLog]] = []

    def add(self, who: str, page: Any) -> Any:
        """Name a page opened elsewhere (the ``page`` fixture) as a person's."""
        self.pages[who] = page
        return page

    def page(self, who: str, *, java_script: bool = True) -> Any:
        """``who``'s page; a fresh context (no cookies, no storage) the first time."""
        if who not in self.pages:
            context = self.chromium.new_context(java_script_enabled=java_script)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            log = PageLog()
            log.attach(page)
            page.console_log = log
            page.on("dialog", lambda dialog: dialog.accept())  # "Ban this author?" -> yes
            self._contexts.append((who, context, log))
            self.pages[who] = page
        return self.pages[who]

    def moderator(self) -> Any:
        """The moderator's page, logged in through the admin login form (a staff user)."""
        if MODERATOR in self.pages:
            return self.pages[MODERATOR]
        self.site.control(f"staff/{MODERATOR}/")
        page = self.page(MODERATOR)
        page.goto(self.site.url("/admin/login/?next=/admin/"))
        page.fill("input[name=username]", MODERATOR)
        page.fill("input[name=password]", PASSWORD)
        page.click("[type=submit]")
        page.wait_for_url("**/admin/")
        return page

    def close(self) -> None:
        report = getattr(self.request.node, "rep_call", None)
        failed = report is not None and report.failed
        for who, context, log in self._contexts:
            if failed:
                save_artifacts(f"{self.request.node.nodeid}_{who}", context, log)
            context.close()
