from django.contrib import admin
from django.urls import include, path

from tests.acceptance.site import control

urlpatterns = [
    path("admin/", admin.site.urls),
    *control.urlpatterns,
    path("", include("crowdwall.urls")),
]
