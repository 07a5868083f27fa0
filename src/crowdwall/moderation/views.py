"""The moderation screen of one wall (staff only): the queue, one-click and bulk decisions,
bans, and the audit log.

Everything works as plain HTML forms (POST, then a redirect back to the screen);
``static/crowdwall/moderate.js`` sends the same forms with ``fetch`` and ``Accept:
application/json`` instead, gets JSON back and updates the queue in place, and keeps it live over
the moderators' socket: Channels' (``crowdwall.moderation.consumers``), or nchan's channel
``moderate.<slug>`` (``CROWDWALL["LIVE_TRANSPORT"] = "nchan"``) plus ``snapshot`` here, what the
consumer sends on connect, fetched over HTTP after subscribing. Each operation goes through
``crowdwall.moderation.service``, which pushes the change to every open page and writes the
audit log. Access rules (per-wall roles: viewers read, moderators act) and cache headers:
``crowdwall.moderation.access``.

Listing order: the pending queue oldest first (nothing waits forever at the bottom of a busy
wall), the approved and rejected tabs newest first; both page by post id (``?after=<id>``), one
range scan of the ``(wall, state, post)`` index however deep.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crowdwall.conf import conf
from crowdwall.live.catchup import now_ms
from crowdwall.models import (
    Author,
    BannedAuthor,
    BannedWord,
    ModerationLog,
    ModerationMode,
    ModerationState,
    PostWall,
    TrustedAccount,
    Wall,
)
from crowdwall.moderation import service
from crowdwall.moderation.access import may, wall_required, wants_json
from crowdwall.moderation.forms import ActionForm, BanWordForm, UnbanForm
from crowdwall.moderation.quarantine import quarantined
from crowdwall.moderation.snapshot import parse_changes
from crowdwall.moderation.snapshot import snapshot as read_snapshot
from crowdwall.params import MAX_ID, BadParameter, parse_id

PAGE_SIZE = 50  # queue items per page
LOG_ON_SCREEN = 15  # latest audit-log rows on the screen; the rest on the log page
LOG_PAGE_SIZE = 50
TABS = (ModerationState.PENDING, ModerationState.APPROVED, ModerationState.REJECTED)


def _wall(slug: str) -> Wall:
    # Inactive walls too: a moderator may clean a wall up before switching it on.
    return get_object_or_404(Wall, slug=slug)


def _screen_url(wall: Wall, state: str | None = None) -> str:
    url = reverse("crowdwall:moderate", args=[wall.slug])
    return f"{url}?state={state}" if state else url


def _default_state(wall: Wall) -> str:
    """Pending where posts wait for a moderator (or some do now), else the approved posts."""
    if wall.moderation != ModerationMode.OPEN:
        return ModerationState.PENDING
    pending = PostWall.objects.filter(wall=wall, state=ModerationState.PENDING).exists()
    return ModerationState.PENDING if pending else ModerationState.APPROVED


def _entries(wall: Wall, state: str, after: int | None) -> tuple[list[PostWall], bool]:
    """One page of ``state``'s listing after post ``after``; and whether there is more."""
    qs = PostWall.objects.filter(wall=wall, state=state).select_related("post", "author")
    if state == ModerationState.PENDING:
        qs = qs.order_by("post_id")
        if after is not None:
            qs = qs.filter(post_id__gt=after)
    else:
        qs = qs.order_by("-post_id")
        if after is not None:
            qs = qs.filter(post_id__lt=after)
    rows = list(qs[: PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _bans(wall: Wall) -> tuple[list[dict[str, str]], list[BannedWord]]:
    authors = list(BannedAuthor.objects.filter(wall=wall).order_by("-created_at"))
    handles = dict(
        Author.objects.filter(key__in=[b.account for b in authors]).values_list("key", "handle")
    )
    shown = [
        {"account": b.account, "handle": handles.get(b.account, ""), "note": b.note}
        for b in authors
    ]
    return shown, list(BannedWord.objects.filter(wall=wall).order_by("word"))


def _render_screen(
    request: HttpRequest, wall: Wall, *, ban_form: BanWordForm | None = None, status: int = 200
) -> HttpResponse:
    state = request.GET.get("state") or _default_state(wall)
    if state not in TABS:
        return HttpResponseBadRequest("Unknown state.", content_type="text/plain; charset=utf-8")
    after_raw = request.GET.get("after", "")
    try:
        after = parse_id(after_raw) if after_raw else None
    except BadParameter:
        return HttpResponseBadRequest(
            "'after' must be a post id.", content_type="text/plain; charset=utf-8"
        )
    entries, more = _entries(wall, state, after)
    counts = dict(
        PostWall.objects.filter(wall=wall, state__in=TABS)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    tabs = [
        {"state": s, "label": s.label, "count": counts.get(s, 0), "url": _screen_url(wall, s)}
        for s in TABS
    ]
    authors, words = _bans(wall)
    context: dict[str, Any] = {
        "wall": wall,
        "state": state,
        "tabs": tabs,
        "entries": entries,
        "next_url": f"{_screen_url(wall, state)}&after={entries[-1].post_id}" if more else "",
        "banned_authors": authors,
        "banned_words": words,
        "log": list(ModerationLog.objects.filter(wall=wall)[:LOG_ON_SCREEN]),
        "quarantined": quarantined(wall),
        "trusted": list(TrustedAccount.objects.filter(wall=wall)),
        "ban_form": ban_form or BanWordForm(),
        "here": request.get_full_path(),
        "rendered_at": now_ms(),
        "transport": conf.LIVE_TRANSPORT,
        "ws_path": f"/ws/walls/{wall.slug}/moderate/",
        "live_url": f"{conf.NCHAN_SUBSCRIBE_PREFIX}moderate/{wall.slug}/",
        # A viewer sees the queue without the buttons (the POST views refuse them anyway).
        "can_moderate": may(request.user, wall, "moderate"),
    }
    return render(request, "crowdwall/moderate.html", context, status=status)


@wall_required("view")
@require_GET
def screen(request: HttpRequest, slug: str) -> HttpResponse:
    """The moderation screen: a tab per state (``?state=``), the queue, bans, latest log rows."""
    return _render_screen(request, _wall(slug))


@wall_required("view")
@require_GET
def item(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """One queue item as HTML, for the script to insert when the WebSocket announces a post."""
    if post_id > MAX_ID:  # the URL's <int:> takes any length; the database does not
        raise Http404("No such post.")
    entry = get_object_or_404(
        PostWall.objects.select_related("post", "author", "wall"), wall__slug=slug, post_id=post_id
    )
    context = {"entry": entry, "can_moderate": may(request.user, entry.wall, "moderate")}
    return render(request, "crowdwall/_moderate_item.html", context)


@wall_required("view")
@require_GET
def snapshot(request: HttpRequest, slug: str) -> HttpResponse:
    """What the Channels consumer sends on connect, as JSON (``{"frames": [mod.update...],
    "done": {catchup.done}}``): the entries changed since ``?changes=<epoch ms>`` and the
    pending queue. An nchan page fetches it after subscribing, so nothing is missed between the
    render (or a drop) and the socket opening."""
    wall = _wall(slug)
    raw = request.GET.get("changes", "")
    changes = parse_changes(raw)
    if raw and changes is None:
        return _invalid(request, {"changes": ["Must be a time in epoch milliseconds."]})
    texts, truncated, at = read_snapshot(wall.pk, changes)
    done = {"type": "catchup.done", "count": len(texts), "truncated": truncated, "at": at}
    # The frames are JSON text already (what the socket sends): joined, not re-encoded.
    body = f'{{"frames":[{",".join(texts)}],"done":{json.dumps(done)}}}'
    return HttpResponse(body, content_type="application/json")


@wall_required("view")
@require_GET
def log(request: HttpRequest, slug: str) -> HttpResponse:
    """The wall's audit log, newest first, paginated (``?page=``)."""
    wall = _wall(slug)
    paginator = Paginator(ModerationLog.objects.filter(wall=wall), LOG_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "crowdwall/moderate_log.html", {"wall": wall, "page": page})


def _back(request: HttpRequest, wall: Wall) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = _screen_url(wall)
    return HttpResponseRedirect(target, status=303)


def _invalid(request: HttpRequest, errors: dict[str, Any]) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    text = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def _validation_errors(exc: ValidationError) -> dict[str, Any]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _done(request: HttpRequest, wall: Wall, message: str, data: dict[str, Any]) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": True, "message": message, **data})
    messages.success(request, message, fail_silently=True)
    return _back(request, wall)


@wall_required("moderate")
@require_POST
def act(request: HttpRequest, slug: str) -> HttpResponse:
    """Approve, reject, hide, pin, unpin or ban the author of one post (``item=<id>:<action>``,
    a button) or of several (``action`` with one ``post`` per selected checkbox)."""
    wall = _wall(slug)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form.errors.get_json_data())
    action, ids = form.cleaned_data["action"], form.cleaned_data["posts"]
    try:
        if action == "ban-author":
            return _ban_authors(request, wall, ids)
        count = service.moderate(wall, ids, action, actor=request.user)
    except ValidationError as exc:
        return _invalid(request, _validation_errors(exc))
    after = PostWall.objects.filter(wall=wall, post_id__in=ids)
    rows = {
        pid: (state, pinned)
        for pid, state, pinned in after.values_list("post_id", "state", "pinned")
    }
    noun = "post" if count == 1 else "posts"
    return _done(
        request,
        wall,
        f"{action.capitalize()}: {count} {noun} changed.",
        {
            "action": action,
            "count": count,
            "posts": [
                {"id": pid, "state": rows[pid][0], "pinned": rows[pid][1]}
                for pid in ids
                if pid in rows
            ],
        },
    )


def _ban_authors(request: HttpRequest, wall: Wall, ids: list[int]) -> HttpResponse:
    accounts = list(dict.fromkeys(service.author_of(wall, pid) for pid in ids))
    count = 0
    for account in accounts:
        _, changed = service.ban_author(
            wall, account, actor=request.user, note=f"from the moderation screen (post {ids[0]})"
        )
        count += changed
    removed = list(
        PostWall.objects.filter(
            wall=wall, author__key__in=accounts, state=ModerationState.REJECTED
        ).values_list("post_id", flat=True)
    )
    return _done(
        request,
        wall,
        f"Banned {', '.join(accounts)}: {count} post{'s' if count != 1 else ''} removed.",
        {"action": "ban-author", "count": count, "accounts": accounts, "removed": removed},
    )


@wall_required("moderate")
@require_POST
def ban_word(request: HttpRequest, slug: str) -> HttpResponse:
    """Ban a word or phrase on the wall; matching posts already there are removed at once."""
    wall = _wall(slug)
    form = BanWordForm(request.POST)
    if form.is_valid():
        try:
            ban, count = service.ban_word(wall, form.cleaned_data["word"], actor=request.user)
        except ValidationError as exc:
            for field, errors in _validation_errors(exc).items():
                form.add_error("word" if field in ("word", "__all__") else None, errors)
        else:
            noun = "post" if count == 1 else "posts"
            return _done(
                request,
                wall,
                f"Banned the word {ban.word!r}: {count} {noun} removed.",
                {"action": "ban-word", "word": ban.word, "count": count},
            )
    if wants_json(request):
        return _invalid(request, form.errors.get_json_data())
    return _render_screen(request, wall, ban_form=form, status=400)


@wall_required("moderate")
@require_POST
def unban(request: HttpRequest, slug: str) -> HttpResponse:
    """Lift an author ban (``author``) or a word ban (``word``)."""
    wall = _wall(slug)
    form = UnbanForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form.errors.get_json_data())
    author, word = form.cleaned_data["author"], form.cleaned_data["word"]
    if author:
        lifted = service.unban_author(wall, author, actor=request.user)
        what = author
    else:
        lifted = service.unban_word(wall, word, actor=request.user)
        what = word
    message = f"Lifted the ban on {what!r}." if lifted else f"{what!r} was not banned."
    return _done(request, wall, message, {"action": "unban", "lifted": lifted})
