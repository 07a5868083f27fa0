"""crowdwall's pages: ``path("", include("crowdwall.urls"))`` serves /walls/ and each wall's pages."""

from django.urls import path

from crowdwall import about, screen, views, webhooks
from crowdwall.analytics import views as analytics
from crowdwall.api.api import api
from crowdwall.console import delete_views as console_delete
from crowdwall.console import people_views as console_people
from crowdwall.console import schedule_views as console_schedule
from crowdwall.console import source_views as console_sources
from crowdwall.console import views as console
from crowdwall.live import views as live
from crowdwall.moderation import views as moderation
from crowdwall.moderation.login import ModeratorLogin
from crowdwall.moderation.quarantine import quarantine
from crowdwall.remote import event as event_screens
from crowdwall.remote import views as remote
from crowdwall.schedule import archive as talks
from crowdwall.schedule import panel as schedule_panel

app_name = "crowdwall"

urlpatterns = [
    path("walls/", views.wall_list, name="wall_list"),
    path("walls/screen-sw.js", remote.service_worker, name="screen_sw"),
    # The organiser's console (staff only), before the wall pages: "console" is no wall's slug.
    path("walls/console/", console.wall_list, name="console"),
    path("walls/console/new/", console.wall_create, name="console_wall_create"),
    path("walls/console/rules/", console.explain_rules, name="console_rules"),
    path("walls/console/walls/<slug:slug>/", console.wall_edit, name="console_wall"),
    # Every screen of the event, across walls (per-wall roles): crowdwall.remote.event
    path("walls/console/screens/", event_screens.page, name="console_screens"),
    path("walls/console/screens/data/", event_screens.data, name="console_screens_data"),
    path(
        "walls/console/walls/<slug:slug>/sources/new/",
        console_sources.source_create,
        name="console_source_create",
    ),
    path(
        "walls/console/walls/<slug:slug>/sources/<int:source_id>/",
        console_sources.source_edit,
        name="console_source",
    ),
    path(
        "walls/console/walls/<slug:slug>/sources/<int:source_id>/pause/",
        console_sources.source_pause,
        name="console_source_pause",
    ),
    # A wall's people (roles), schedule import and deleting: crowdwall.console (issue 19)
    path(
        "walls/console/walls/<slug:slug>/people/", console_people.people_page, name="console_people"
    ),
    path(
        "walls/console/walls/<slug:slug>/people/<int:role_id>/revoke/",
        console_people.revoke,
        name="console_people_revoke",
    ),
    path(
        "walls/console/walls/<slug:slug>/schedule/",
        console_schedule.schedule_page,
        name="console_schedule",
    ),
    path(
        "walls/console/walls/<slug:slug>/delete/",
        console_delete.wall_delete,
        name="console_wall_delete",
    ),
    path(
        "walls/console/walls/<slug:slug>/sources/<int:source_id>/delete/",
        console_delete.source_delete,
        name="console_source_delete",
    ),
    path("walls/<slug:slug>/", views.wall, name="wall"),
    path("walls/<slug:slug>/archive/", views.archive, name="archive"),
    path("walls/<slug:slug>/about/", about.about, name="about"),
    # The big screen, its overlay, the wall's CSS and older posts: crowdwall.screen
    path("walls/<slug:slug>/screen/", screen.screen, name="screen"),
    path("walls/<slug:slug>/overlay/", screen.overlay, name="overlay"),
    path("walls/<slug:slug>/wall.css", screen.wall_css, name="wall_css"),
    path("walls/<slug:slug>/posts/", screen.earlier, name="earlier"),
    path("walls/<slug:slug>/screen/presence/", remote.beacon, name="screen_presence"),
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
    path("moderate/login/", ModeratorLogin.as_view(), name="moderate_login"),
    path("walls/<slug:slug>/moderate/", moderation.screen, name="moderate"),
    path("walls/<slug:slug>/moderate/act/", moderation.act, name="moderate_act"),
    path("walls/<slug:slug>/moderate/ban-word/", moderation.ban_word, name="moderate_ban_word"),
    path("walls/<slug:slug>/moderate/unban/", moderation.unban, name="moderate_unban"),
    path("walls/<slug:slug>/moderate/log/", moderation.log, name="moderate_log"),
    path("walls/<slug:slug>/moderate/quarantine/", quarantine, name="moderate_quarantine"),
    path("walls/<slug:slug>/moderate/snapshot/", moderation.snapshot, name="moderate_snapshot"),
    path("walls/<slug:slug>/moderate/items/<int:post_id>/", moderation.item, name="moderate_item"),
    # Analytics (staff only): crowdwall.analytics.views
    path("walls/<slug:slug>/analytics/", analytics.page, name="analytics"),
    path("walls/<slug:slug>/analytics/export.csv", analytics.export_csv, name="analytics_csv"),
    # Remote control of the wall's screens (staff only): crowdwall.remote.views
    path("walls/<slug:slug>/moderate/screens/", remote.screens, name="moderate_screens"),
    path("walls/<slug:slug>/moderate/screens/data/", remote.screens_data, name="screens_data"),
    path("walls/<slug:slug>/moderate/screens/command/", remote.command, name="screens_command"),
]
