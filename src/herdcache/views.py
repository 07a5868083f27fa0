"""Placeholder replaced below by the stats views."""

from django.http import HttpResponse


def stats_view(request):
    return HttpResponse("stats")


def metrics_view(request):
    return HttpResponse("metrics")
