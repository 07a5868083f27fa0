"""The analytics benchmark's measuring process: PostgreSQL with a million posts on one wall.

``python -m bench.analytics_worker`` reads its spec (database, posts, requests) as JSON on
stdin and prints its measurements as one JSON line (see ``bench.analytics``). Django is
configured here, once, for crowdwall's pages and API.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

WALL = "bench"
TOKEN = "bench-token-0123456789"
DAYS = 3  # the event: posts spread evenly over the last three days
AUTHORS = 50_000
TAGS = 30
RANGES = ("hour", "day", "event", "custom")


def _params(kind: str) -> dict[str, str]:
    """The query string for ``kind``; "custom" is yesterday (UTC), one whole past day chosen
    with start and end as the page's range selector sends them, inside the three-day event."""
    if kind != "custom":
        return {"range": kind}
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return {"range": kind, "start": str(today - timedelta(days=1)), "end": str(today)}


def __getattr__(name: str) -> Any:
    # This module is also the URLconf: crowdwall's pages and API under their namespace, built
    # on first use (after settings are configured), as a site's urls.py would include them.
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("", include("crowdwall.urls"))]
    raise AttributeError(name)


def _configure(database: dict[str, Any]) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "herdcache",
            "crowdwall",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF="bench.analytics_worker",  # urlpatterns: see __getattr__ below
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
            }
        ],
        STATIC_URL="/static/",
        DATABASES={"default": database},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        HERDCACHE={"STATS_FLUSH_INTERVAL": 0},
        CROWDWALL={"API_TOKENS": {TOKEN: "bench"}, "API_ANON_RATE": None},
        LOGGING_CONFIG=None,
    )
    django.setup()


# Posts: one INSERT ... SELECT over generate_series (minutes instead of hours for a Python loop).
# Authors are skewed (random()^3: a few very active posters, a long tail), a third of the posts
# per network, every post tagged #djangocon plus one of TAGS (also skewed). 90 % approved,
# 7 % pending, 3 % rejected; a quarter of the approvals waited for a moderator (1 s to 30 min).
_POSTS = """
INSERT INTO crowdwall_post (id, source_id, external_id, url, author_id, content_html, text,
    spoiler_text, sensitive, is_reply, is_boost, language, hashtags, media, extras,
    fingerprint, created_at, date_estimated, ingested_at)
SELECT g, %(first_source)s + g %% 3, 'p' || g, '', 1 + floor(%(authors)s * random() ^ 3)::int,
    '', '', '', false, false, false, 'en',
    jsonb_build_array('djangocon', 'tag' || floor(%(tags)s * random() ^ 2)::int), '[]', '{}',
    md5(g::text), now() - interval '%(days)s days' + (g * interval '%(days)s days') / %(posts)s,
    false, now() - interval '%(days)s days' + (g * interval '%(days)s days') / %(posts)s
FROM generate_series(1, %(posts)s) AS g
"""
_ENTRIES = """
INSERT INTO crowdwall_postwall (wall_id, post_id, author_id, created_at, state, reason, pinned,
    moderated_at, changed_at)
SELECT %(wall)s, p.id, p.author_id, p.created_at, s.state, '', false, s.moderated, s.moderated
FROM crowdwall_post p, LATERAL (SELECT r,
    CASE WHEN r < 0.90 THEN 'approved' WHEN r < 0.97 THEN 'pending' ELSE 'rejected' END AS state,
    CASE WHEN r < 0.225 OR r >= 0.97
         THEN least(now(), p.ingested_at + interval '1 second' * (1 + 1800 * random() ^ 3))
         END AS moderated
    FROM (SELECT random() + p.id * 0 AS r) AS x) AS s
"""
# The minute rollups, as rebuild-analytics computes them, in SQL (its Python is timed apart);
# hours and totals then come from them as the job's last step makes them (``resum``).
_MINUTE = "floor(extract(epoch FROM e.created_at) / 60)::int"
_ROLLUPS = [
    f"""INSERT INTO crowdwall_wallminute (wall_id, minute, source_id, posts, approved, pending,
        rejected, deleted)
    SELECT e.wall_id, {_MINUTE}, p.source_id, count(*),
        count(*) FILTER (WHERE e.state = 'approved'), count(*) FILTER (WHERE e.state = 'pending'),
        count(*) FILTER (WHERE e.state = 'rejected'), count(*) FILTER (WHERE e.state = 'deleted')
    FROM crowdwall_postwall e JOIN crowdwall_post p ON p.id = e.post_id GROUP BY 1, 2, 3""",
    f"""INSERT INTO crowdwall_wallminuteauthor (wall_id, minute, author_id, posts, approved)
    SELECT e.wall_id, {_MINUTE}, e.author_id, count(*),
        count(*) FILTER (WHERE e.state = 'approved')
    FROM crowdwall_postwall e GROUP BY 1, 2, 3""",
    f"""INSERT INTO crowdwall_wallminutetag (wall_id, minute, tag, posts)
    SELECT e.wall_id, {_MINUTE}, lower(t.tag), count(*)
    FROM crowdwall_postwall e JOIN crowdwall_post p ON p.id = e.post_id,
        jsonb_array_elements_text(p.hashtags) AS t(tag)
    WHERE e.state = 'approved' GROUP BY 1, 2, 3""",
    f"""INSERT INTO crowdwall_wallminutewait (wall_id, minute, bucket, approvals)
    SELECT e.wall_id, {_MINUTE},
        floor(2 * log(2, 1 + extract(epoch FROM e.moderated_at - p.ingested_at)))::int, count(*)
    FROM crowdwall_postwall e JOIN crowdwall_post p ON p.id = e.post_id
    WHERE e.state = 'approved' AND e.moderated_at IS NOT NULL GROUP BY 1, 2, 3""",
]


def _progress(message: str) -> None:
    # To stderr at once: a run stopped by its budget still shows how far it got.
    print(f"    {message}", file=sys.stderr, flush=True)


def _fill(posts: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from crowdwall.analytics.recompute import resum
    from crowdwall.analytics.rollup import set_mark
    from crowdwall.models import Source, Wall

    timings: dict[str, float] = {}
    wall = Wall.objects.create(name="Bench", slug=WALL, hashtags=["djangocon"])
    sources = [
        Source.objects.create(wall=wall, name=kind, kind=kind, config={}, scope="own")
        for kind in ("mastodon", "bluesky", "rss")
    ]
    get_user_model().objects.create_user("bench", password="bench", is_staff=True)
    params = {
        "posts": posts,
        "authors": AUTHORS,
        "tags": TAGS,
        "days": DAYS,
        "wall": wall.pk,
        "first_source": sources[0].pk,
    }
    with connection.cursor() as cursor, transaction.atomic():
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO crowdwall_author (id, key, handle, display_name, avatar_url, "
            "profile_url, is_bot, opted_out, updated_at) SELECT g, 'a' || g, 'user' || g, "
            "'User ' || g, '', '', false, false, %s FROM generate_series(1, %s) AS g",
            [timezone.now(), AUTHORS + 1],
        )
        cursor.execute(_POSTS, params)
        cursor.execute(_ENTRIES, params)
        for table in ("crowdwall_author", "crowdwall_post", "crowdwall_postwall"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        timings["generate_s"] = time.perf_counter() - started
        _progress(f"generated {posts:,} posts in {timings['generate_s']:.0f} s")
        started = time.perf_counter()
        for statement in _ROLLUPS:
            cursor.execute(statement)
        resum(wall.pk)
        set_mark(wall.pk)
        timings["rollups_sql_s"] = time.perf_counter() - started
        _progress(f"rollups in {timings['rollups_sql_s']:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # The load average while measuring: numbers from a busy machine are read with it.
    timings["load_average"] = os.getloadavg()[0]
    return timings


def _rebuild_rate() -> dict[str, float]:
    """The Python rebuild of one hour of minutes (what rebuild-analytics does per chunk)."""
    from django.db import transaction

    from crowdwall.analytics import rollup
    from crowdwall.models import Wall, WallMinute

    wall = Wall.objects.get(slug=WALL)
    last = WallMinute.objects.filter(wall=wall).order_by("-minute").values_list("minute")[0][0]
    started = time.perf_counter()
    with transaction.atomic():
        rollup.lock(wall.pk)
        entries = rollup.rebuild_minutes(wall.pk, range(last - 180, last - 120))
    seconds = time.perf_counter() - started
    return {"rebuild_entries": entries, "rebuild_entries_per_s": entries / seconds}


def _live(client: Any) -> dict[str, float]:
    """One new post after the fill: the refresh a page request then does, and its figures."""
    from crowdwall.ingest.write import ingest
    from crowdwall.models import Source

    source = Source.objects.get(name="mastodon")
    ingest(
        source,
        [
            {
                "id": "live-1",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "author": {"id": "live", "handle": "live@bench.example"},
                "html": "<p>Live #djangocon</p>",
            }
        ],
    )
    started = time.perf_counter()
    body = client.get(f"/api/walls/{WALL}/analytics/", {"range": "hour"}).json()
    return {
        "live_request_ms": (time.perf_counter() - started) * 1000,
        "live_posts": body["totals"]["posts"],
    }


def _measure(requests: int) -> dict[str, Any]:
    from django.test import Client

    from bench.measure import percentile

    page = Client()
    page.login(username="bench", password="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    targets = {
        **{f"page {r}": (page, f"/walls/{WALL}/analytics/", r) for r in RANGES},
        **{f"api {r}": (api, f"/api/walls/{WALL}/analytics/", r) for r in RANGES},
    }
    results: dict[str, Any] = {}
    for name, (client, url, kind) in targets.items():
        client.get(url, _params(kind))  # warm: templates, connection, plans
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, _params(kind))
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}")
        results[name] = {
            "p50_ms": percentile(samples, 50) * 1000,
            "p99_ms": percentile(samples, 99) * 1000,
            "requests": requests,
        }
        _progress(
            f"{name}: p50 {results[name]['p50_ms']:.0f} ms, p99 {results[name]['p99_ms']:.0f} ms"
        )
    for kind in RANGES:
        results[f"db {kind}"] = _database_time(api, f"/api/walls/{WALL}/analytics/", kind)
    results["live"] = _live(api)
    return results


def _database_time(client: Any, url: str, kind: str) -> dict[str, float]:
    """PostgreSQL's own execution time of one request's reads (EXPLAIN ANALYZE of each
    SELECT it ran): the part that grows with the number of posts, apart from Python's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, _params(kind))
    total, slowest, slowest_sql, plans = 0.0, 0.0, "", []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in sql.upper():
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            spent = float(plan[0]["Execution Time"])
            plans.append(f"{spent:.1f} ms: {_scans(plan[0]['Plan'])} <- {sql[:120]}")
            total += spent
            if spent > slowest:
                slowest, slowest_sql = spent, sql
    _progress(
        f"db {kind}: {total:.1f} ms in SELECTs, slowest {slowest:.1f} ms, "
        f"{len(captured.captured_queries)} queries"
    )
    for line in sorted(plans, key=lambda text: -float(text.split(" ms")[0]))[:3]:
        _progress(f"  {line}")
    return {
        "select_ms": total,
        "slowest_ms": slowest,
        "slowest_sql": slowest_sql[:2000],
        "queries": len(captured.captured_queries),
    }


def _scans(node: dict[str, Any]) -> str:
    """A plan's scans, e.g. ``Index Only Scan crowdwall_ha_author (rows 4800)``: which index a
    read took is what decides its cost here."""
    found = []
    if "Scan" in node.get("Node Type", ""):
        where = node.get("Index Name") or node.get("Relation Name") or ""
        found.append(f"{node['Node Type']} {where} (rows {node.get('Actual Rows')})")
    for child in node.get("Plans", ()):
        found.append(_scans(child))
    return ", ".join(part for part in found if part)


def main() -> None:
    spec = json.loads(sys.stdin.read())
    _configure(spec["database"])
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    measured: dict[str, Any] = {"fill": _fill(spec["posts"])}
    with connection.cursor() as cursor:
        for table in (
            "crowdwall_wallminute",
            "crowdwall_wallminuteauthor",
            "crowdwall_wallminutetag",
            "crowdwall_wallhour",
            "crowdwall_wallhourauthor",
            "crowdwall_walldayauthor",
            "crowdwall_wallhourtag",
            "crowdwall_wallhourwait",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            measured["fill"][table.removeprefix("crowdwall_") + "_rows"] = cursor.fetchone()[0]
    measured["fill"].update(_rebuild_rate())
    measured["requests"] = _measure(spec["requests"])
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
