"""The test URLs plus the admin's (its login page is what moderators log in through)."""

from django.contrib import admin
from django.urls import path

from tests.urls import urlpatterns as base

urlpatterns = [path("admin/", admin.site.urls), *base]
