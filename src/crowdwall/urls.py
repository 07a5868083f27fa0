"""crowdwall's pages: ``path("", include("crowdwall.urls"))`` serves /walls/ and each wall's pages."""

from django.urls import path

from crowdwall import about, screen, views, webhooks
from crowdwall.api.api import api
from crowdwall.live import views as live
from crowdwall.moderation import views as moderation
from crowdwall.moderation.quarantine import quarantine
from crowdwall.schedule import archive as talks
from crowdwall.schedule import panel as schedule_panel

app_name = "crowdwall"

urlpatterns = [
    path("walls/", views.wall_list, name="wall_list"),
    path("walls/<slug:slug>/", views.wall, name="wall"),
    path("walls/<slug:slug>/archive/", views.archive, name="archive"),
    path("walls/<slug:slug>/about/", about.about, name="about"),
    # The big screen, its overlay, the wall's CSS and older posts: crowdwall.screen
    path("walls/<slug:slug>/screen/", screen.screen, name="screen"),
    path("walls/<slug:slug>/overlay/", screen.overlay, name="overlay"),
    path("walls/<slug:slug>/wall.css", screen.wall_css, name="wall_css"),
    path("walls/<slug:slug>/posts/", screen.earlier, name="earlier"),
    # Schedule-aware walls: crowdwall.schedule
    path("walls/<slug:slug>/schedule/now.json", schedule_panel.now_json, name="schedule_now"),
    path("walls/<slug:slug>/archive/talks/", talks.by_talk, name="archive_talks"),
    path("hooks/<int:source_id>/", webhooks.webhook, name="crowdwall-webhook"),
    # The JSON API (django-ninja): crowdwall.api
    path("api/", api.urls),
    # Live transports: the database catch-up (nchan pages) and nchan's moderator check.
    path("walls/<slug:slug>/live/missed/", live.missed, name="live_missed"),
    path("walls/<slug:slug>/live/authorize/", live.authorize, name="live_authorize"),
    # The moderation screen (staff only): crowdwall.moderation.views
    path("walls/<slug:slug>/moderate/", moderation.screen, name="moderate"),
    path("walls/<slug:slug>/moderate/act/", moderation.act, name="moderate_act"),
    path("walls/<slug:slug>/moderate/ban-word/", moderation.ban_word, name="moderate_ban_word"),
    path("walls/<slug:slug>/moderate/unban/", moderation.unban, name="moderate_unban"),
    path("walls/<slug:slug>/moderate/log/", moderation.log, name="moderate_log"),
    path("walls/<slug:slug>/moderate/quarantine/", quarantine, name="moderate_quarantine"),
    path("walls/<slug:slug>/moderate/snapshot/", moderation.snapshot, name="moderate_snapshot"),
    path("walls/<slug:slug>/moderate/items/<int:post_id>/", moderation.item, name="moderate_item"),
]
