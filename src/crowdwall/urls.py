"""crowdwall's pages: ``path("", include("crowdwall.urls"))`` serves /walls/ and each wall's pages."""

from django.urls import path

from crowdwall import views, webhooks

app_name = "crowdwall"

urlpatterns = [
    path("walls/", views.wall_list, name="wall_list"),
    path("walls/<slug:slug>/", views.wall, name="wall"),
    path("walls/<slug:slug>/archive/", views.archive, name="archive"),
    path("hooks/<int:source_id>/", webhooks.webhook, name="crowdwall-webhook"),
]
