"""The console's source pages: add, change, pause and resume a wall's sources, and test one.

"Test this source" (the form's second button) validates the form, fetches a sample from the
endpoint (``sample``) and shows which walls each post would reach (``verdicts``) without saving
anything; "Save" stores the source like the API does (audit log, field names only). The secret
is write-only throughout: never rendered, never logged.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from crowdwall.console.access import organiser_required
from crowdwall.console.forms import SourceForm, kinds_using
from crowdwall.console.sample import fetch_sample
from crowdwall.console.verdicts import explain
from crowdwall.console.views import organised_wall
from crowdwall.models import ModerationAction, Source, Wall
from crowdwall.models.walls import NAME_TAKEN
from crowdwall.moderation import service

FIELD_KINDS = ("url", "hashtags", "keywords", "accounts", "secret")


def _webhook_url(request: HttpRequest, source: Source | None) -> str:
    if source is None or source.pk is None or source.kind != "webhook":
        return ""
    try:
        return request.build_absolute_uri(reverse("crowdwall:crowdwall-webhook", args=[source.pk]))
    except NoReverseMatch:  # crowdwall.urls mounted without its namespace
        return ""


def _save(request: HttpRequest, form: SourceForm, created: bool) -> Source | None:
    """Save the source and log it; None (with the form's error) if the name was just taken."""
    try:
        with transaction.atomic():
            source = form.save()
            detail = {"source": source.name}
            # Field names only: the audit log must not hold a secret either.
            detail.update({"created": True} if created else {"changed": sorted(form.changed_data)})
            service.record(
                request.user, ModerationAction.CONFIGURE, wall=source.wall, detail=detail
            )
    except IntegrityError:
        if not form.instance.name_taken():  # not the race this answer is for: let it be seen
            raise
        form.add_error("name", NAME_TAKEN)
        return None
    return source


def _edit(request: HttpRequest, wall: Wall, source: Source | None) -> HttpResponse:
    report = sample = None
    status = 200
    if request.method == "POST":
        form = SourceForm(request.POST, instance=source, wall=wall)
        if form.is_valid():
            if "test" in request.POST:
                sample = async_to_sync(fetch_sample)(form.instance)
                report = explain(form.instance, sample.items) if sample.items else None
            else:
                saved = _save(request, form, created=source is None)
                if saved is not None:
                    messages.success(request, f"Saved the source {saved.name}.")
                    return redirect("crowdwall:console_wall", wall.slug)
        if not form.is_valid():
            status = 400
    else:
        form = SourceForm(instance=source, wall=wall)
    context = {
        "wall": wall,
        "source": source,
        "form": form,
        "had_secret": form.had_secret,
        "sample": sample,
        "report": report,
        "webhook_url": _webhook_url(request, source),
        "field_kinds": {name: " ".join(kinds_using(name)) for name in FIELD_KINDS},
    }
    return render(request, "crowdwall/console/source_form.html", context, status=status)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def source_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new source for the wall: its form, a test run, or the wall's page once saved."""
    return _edit(request, organised_wall(request, slug), None)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def source_edit(request: HttpRequest, slug: str, source_id: int) -> HttpResponse:
    """A source's settings (its secret write-only), with a test run."""
    wall = organised_wall(request, slug)
    return _edit(request, wall, get_object_or_404(Source, wall=wall, pk=source_id))


@organiser_required
@require_POST
def source_pause(request: HttpRequest, slug: str, source_id: int) -> HttpResponse:
    """Pause a source (``enabled`` off: streams skip it when they start) or resume it."""
    wall = organised_wall(request, slug)
    source = get_object_or_404(Source, wall=wall, pk=source_id)
    source.enabled = request.POST.get("enabled") == "1"
    with transaction.atomic():
        source.save(update_fields=["enabled"])
        detail = {"source": source.name, "changed": ["enabled"], "enabled": source.enabled}
        service.record(request.user, ModerationAction.CONFIGURE, wall=wall, detail=detail)
    verb = "Resumed" if source.enabled else "Paused"
    messages.success(request, f"{verb} the source {source.name}.")
    return redirect("crowdwall:console_wall", wall.slug)
