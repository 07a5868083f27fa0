"""The audit log in the admin: listed, never added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, modify_settings

from crowdwall.models import ModerationLog

pytestmark = pytest.mark.django_db


def test_the_log_is_read_only_in_the_admin(django_user_model):
    with modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"}):
        from django.contrib import admin

        from crowdwall import admin as crowdwall_admin  # noqa: F401 - registers the admins

        model_admin = admin.site._registry[ModerationLog]
        request = RequestFactory().get("/admin/")
        request.user = django_user_model.objects.create_superuser("root")
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)
