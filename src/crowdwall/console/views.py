"""The console's wall pages: the list, creating and editing a wall, and the rule explainer.

Every view is gated by ``access.organiser_required`` (and, once the wall is known,
``may_organise(user, wall)``). A wall is saved with its slides, bans and trusted accounts in
one transaction, written to the audit log as ``configure`` (field names only), and its cached
pages purged.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crowdwall.caching import purge_walls
from crowdwall.console import access, rules
from crowdwall.console.access import organiser_required
from crowdwall.console.forms import SlideFormSet, WallForm
from crowdwall.ingest.match import normalize_account
from crowdwall.models import ModerationAction, Wall
from crowdwall.moderation import service, trusted


def organised_wall(request: HttpRequest, slug: str) -> Wall:
    """The wall ``slug`` if the user may organise it (404 if none, 403 if not theirs)."""
    wall = get_object_or_404(Wall, slug=slug)
    if not access.may_organise(request.user, wall):
        raise PermissionDenied("Organisers of this wall only.")
    return wall


@organiser_required
@require_http_methods(["GET", "HEAD"])
def wall_list(request: HttpRequest) -> HttpResponse:
    """Every wall the user may organise, with its source counts."""
    walls = Wall.objects.annotate(
        source_count=Count("sources"),
        paused_count=Count("sources", filter=Q(sources__enabled=False)),
    ).order_by("name")
    walls = [w for w in walls if access.may_organise(request.user, w)]
    return render(request, "crowdwall/console/wall_list.html", {"walls": walls})


def _sync_bans(wall: Wall, form: WallForm, actor: Any) -> None:
    """Make the wall's bans the form's lists: ban the new lines, lift the removed ones."""
    words = {w.strip() for w in form.cleaned_data["banned_words"]}
    old_words = set(wall.banned_words.values_list("word", flat=True))
    authors = {normalize_account(a) for a in form.cleaned_data["banned_authors"]}
    old_authors = set(wall.banned_authors.values_list("account", flat=True))
    for word in sorted(old_words - words):
        service.unban_word(wall, word, actor=actor)
    for account in sorted(old_authors - authors):
        service.unban_author(wall, account, actor=actor)
    problems: dict[str, list[str]] = {}
    for field, new, ban in (
        ("banned_words", sorted(words - old_words), service.ban_word),
        ("banned_authors", sorted(authors - old_authors), service.ban_author),
    ):
        for value in new:
            try:
                ban(wall, value, actor=actor)
            except ValidationError as exc:
                problems.setdefault(field, []).extend(f"{value}: {m}" for m in exc.messages)
    if problems:
        raise ValidationError(problems)


def _sync_trusted(wall: Wall, form: WallForm, actor: Any) -> None:
    """Make the wall's trusted accounts the form's list (``moderation.trusted``: audited, and
    a newly trusted account's waiting posts approved)."""
    wanted = {normalize_account(a) for a in form.cleaned_data["trusted_accounts"]}
    old = set(wall.trusted_accounts.values_list("account", flat=True))
    for account in sorted(old - wanted):
        trusted.distrust(wall, account, actor=actor)
    problems: list[str] = []
    for account in sorted(wanted - old):
        try:
            trusted.trust(wall, account, actor=actor)
        except ValidationError as exc:
            problems.extend(f"{account}: {m}" for m in exc.messages)
    if problems:
        raise ValidationError({"trusted_accounts": problems})


def _save(request: HttpRequest, form: WallForm, slides: Any, old_slug: str | None) -> Wall:
    """Save the wall, its slides and bans, log it and purge its pages (one transaction)."""
    with transaction.atomic():
        wall = form.save()
        slides.instance = wall
        saved = slides.save(commit=False)
        for slide in slides.deleted_objects:
            slide.delete()
        for slide in saved:
            slide.save()
        # Positions follow the order on the page.
        for position, slide in enumerate(wall.slides.order_by("position", "id")):
            if slide.position != position:
                slide.position = position
                slide.save(update_fields=["position"])
        _sync_bans(wall, form, request.user)
        _sync_trusted(wall, form, request.user)
        changed = sorted(set(form.changed_data) | ({"slides"} if slides.has_changed() else set()))
        detail = {"created": wall.slug} if old_slug is None else {"changed": changed}
        service.record(request.user, ModerationAction.CONFIGURE, wall=wall, detail=detail)
    purge_walls({wall.slug, old_slug or wall.slug}, wall_list=True)
    return wall


def _lines(value: Any) -> list[str]:
    """A list setting as the form holds it (a list from the wall, text when posted)."""
    return [str(v) for v in value] if isinstance(value, list) else str(value or "").splitlines()


def _edit(request: HttpRequest, wall: Wall | None) -> HttpResponse:
    if wall is None and not access.may_create(request.user):
        raise PermissionDenied
    old_slug = wall.slug if wall is not None else None
    if request.method == "POST":
        form = WallForm(request.POST, instance=wall)
        slides = SlideFormSet(request.POST, instance=wall or Wall(), prefix="slides")
        if form.is_valid() and slides.is_valid():
            try:
                saved = _save(request, form, slides, old_slug)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Saved {saved.name}.")
                return redirect("crowdwall:console_wall", saved.slug)
        status = 400
    else:
        form = WallForm(instance=wall)
        slides = SlideFormSet(instance=wall or Wall(), prefix="slides")
        status = 200
    explained = {name: rules.describe(name, _lines(form[name].value())) for name in rules.FIELDS}
    context = {
        "wall": wall,
        "form": form,
        "slides": slides,
        "explained": explained,
        "sources": list(wall.sources.all()) if wall is not None else [],
        "may_delete": wall is not None and access.may_create(request.user),
    }
    return render(request, "crowdwall/console/wall_form.html", context, status=status)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def wall_create(request: HttpRequest) -> HttpResponse:
    """A new wall: its form, or the wall's page once saved."""
    return _edit(request, None)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def wall_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """A wall's settings, sources and (later) screens, on one page."""
    return _edit(request, organised_wall(request, slug))


@organiser_required
@require_POST
def explain_rules(request: HttpRequest) -> JsonResponse:
    """What each line of a list setting will match (``field``, ``value``): the form's feedback."""
    field = request.POST.get("field", "")
    try:
        meanings = rules.describe(field, request.POST.get("value", "").splitlines())
    except ValueError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    lines = [{"rule": m.rule, "means": m.means, "error": m.error} for m in meanings]
    return JsonResponse({"ok": True, "field": field, "lines": lines})
