"""The active language and time zone as part of a page's identity (Django's cache keys do this).

With ``USE_I18N`` a page rendered in English must not be served to a Spanish visitor, and with
``USE_TZ`` a page rendered in Paris time must not be served to New York: Django's
``_i18n_cache_key_suffix`` adds both to its keys, and so does herdcache (``locale_key``).

The nginx edge keys pages by host and URI alone, so a page whose language or zone was chosen
for the request (``LocaleMiddleware``, ``translation.activate``, ``timezone.activate``) never goes
there (``chosen_per_request``) unless the language is in the path (``i18n_patterns``): the
bypass is decided where the page is written, so nginx simply never finds such a page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone, translation

from herdcache.conf import conf


def locale_key(request: HttpRequest) -> str:
    """The language and zone part of a page key: empty for the default language and zone.

    Django's keys always carry both; leaving the defaults out gives the same separation (every
    other language and zone gets its own key) and keeps the keys of sites that never switch
    unchanged. After changing ``LANGUAGE_CODE`` or ``TIME_ZONE``, bump ``HERDCACHE["VERSION"]``.
    """
    parts = []
    if conf.USE_I18N:
        # LocaleMiddleware (or another middleware) says which language it chose; else the
        # active one, which falls back to LANGUAGE_CODE.
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or ""
        if language != conf.LANGUAGE_CODE:
            parts.append(f"lang={language}")
    if conf.USE_TZ:
        zone = timezone.get_current_timezone_name()
        if zone != timezone.get_default_timezone_name():
            parts.append(f"tz={zone}")
    return ";".join(parts)


def chosen_per_request(request: HttpRequest) -> bool:
    """Whether this page's language or time zone may differ between two requests for its URL.

    True when ``LocaleMiddleware`` chose the language (even the default one: the next visitor
    may ask for another) unless the language is in the path (``i18n_patterns``), or when the
    active language or zone is not the default. A language or zone picked from a cookie by
    your own middleware is invisible here: list that cookie in ``EDGE_BYPASS_COOKIES``.
    """
    if conf.USE_I18N:
        chosen = getattr(request, "LANGUAGE_CODE", None)
        active = translation.get_language()
        if (chosen is not None or active != conf.LANGUAGE_CODE) and (
            translation.get_language_from_path(request.path_info) != (chosen or active)
        ):
            return True
    return (
        conf.USE_TZ and timezone.get_current_timezone_name() != timezone.get_default_timezone_name()
    )
