"""The moderators' login page: the admin's look, but open to any active account.

The admin's own login refuses accounts that are not staff, and a wall's moderators need not
be staff (``crowdwall.moderation.access``): this page checks the password only, and what the
account may do is decided on each page afterwards. Used when ``django.contrib.admin`` is
installed (its template); without it, ``settings.LOGIN_URL`` is the login.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import LoginView


class ModeratorLogin(LoginView):
    """``LoginView`` with ``AuthenticationForm`` (any active account) in the admin's template."""

    template_name = "admin/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        # What the admin's template reads besides the form: its title and the form's action.
        context.update(title="Log in", subtitle=None, app_path=self.request.get_full_path())
        # Moderators who are not staff never see the admin: name what they are logging in to.
        context.update(site_header="crowdwall moderation", site_title="crowdwall moderation")
        return context
