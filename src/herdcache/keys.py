"""Cache keys: hashed, versioned and flavored, so any string is a safe memcached key (seed 004).

memcached keys must be at most 250 bytes with no spaces or control characters, and a URL is
user-controlled: hashing the full key removes both length and protocol-injection problems
(``\\r\\n`` in a URL can never reach the wire). VERSION and FLAVOR from ``HERDCACHE`` are part of
every hash, so bumping either invalidates everything and dev/staging/prod can share one memcached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from hashlib import blake2b
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.utils.encoding import escape_uri_path

from herdcache.conf import conf

_READABLE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")  # fullmatch: "$" would let "a\n" through
_SEP = "\x1f"  # unit separator: cannot appear in a URL the server accepted, so parts never blur


def digest(material: str) -> str:
    """Return a 40-hex-digit blake2b digest of ``material`` (any str, lone surrogates included)."""
    return blake2b(material.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _readable(part: str) -> str:
    # Keep a short, safe label visible in the key (handy in `memcached-tool dump`); the digest
    # carries the real identity, so an unsafe label is simply left out.
    return f"{part}:" if _READABLE.fullmatch(part) else ""


def default_key_function(key: Any, key_prefix: str, version: Any) -> str:
    """Django ``KEY_FUNCTION``: hash, version and flavor any key into a memcached-safe one.

    The result is at most ~180 characters of ``[A-Za-z0-9_.:-]`` whatever ``key`` holds.
    """
    material = _SEP.join((conf.FLAVOR, str(conf.VERSION), key_prefix, str(version), str(key)))
    return f"{_readable(key_prefix)}{_readable(conf.FLAVOR)}{digest(material)}"


def make_key(key: Any, key_prefix: str = "", version: Any = 1) -> str:
    """Apply the configured ``HERDCACHE["KEY_FUNCTION"]`` (what herdcache's backends call)."""
    return conf.KEY_FUNCTION(key, key_prefix, version)


def herd_key(kind: str, material: str) -> str:
    """Key for one of herdcache's own records (``kind``: p=page, f=function, l=lock, ...).

    Already short and safe, so it passes unchanged through any backend's own key function.
    """
    return f"hc{kind}:{digest(_SEP.join((conf.FLAVOR, str(conf.VERSION), material)))}"


def request_host(request: HttpRequest) -> str:
    """The validated host (``ALLOWED_HOSTS`` applies: a bad Host raises ``DisallowedHost``)."""
    return request.get_host().lower()


def get_keys(argument: str, value: object) -> tuple[str, ...] | None:
    """Normalize an ``only_get_keys``/``forget_get_keys`` argument: None, or a tuple of names.

    A lone string is one name (``"page"`` is ``["page"]``, not the letters p, a, g, e, which
    would key on nothing useful and serve ``?page=2`` the page of ``?page=1``). Anything but a
    string or an iterable of non-empty strings raises at decoration time, not per request.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"{argument} must be a query parameter name or a list of names, "
            f"not {type(value).__name__}: {value!r}"
        )
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"{argument} must hold non-empty query parameter names (str), not {name!r}"
            )
    return names


def query_material(
    request: HttpRequest,
    only_get_keys: Iterable[str] | None,
    forget_get_keys: Iterable[str] | None = None,
) -> str:
    """Query string as it matters for the key: raw, or only the kept keys in a stable order.

    ``only_get_keys`` keeps just those parameters; ``forget_get_keys`` keeps all but those. A
    repeated key counts with its last value only, as ``request.GET.get`` (what views read) takes
    it: ``?theme=dark&theme=light`` and ``?theme=light`` are one page, ``?theme=light&theme=dark``
    another.
    """
    if only_get_keys is None and forget_get_keys is None:
        return request.META.get("QUERY_STRING", "")
    return urlencode(sorted(kept_query(request, only_get_keys, forget_get_keys).items()))


def kept_query(
    request: HttpRequest,
    only_get_keys: Iterable[str] | None,
    forget_get_keys: Iterable[str] | None = None,
) -> QueryDict:
    """The query as the cache keys it: each kept key present, with its last value.

    A view that reads (or links to) this instead of ``request.GET`` cannot answer differently
    for two requests that share one cache entry.
    """
    if only_get_keys is not None:
        names = set(only_get_keys)
    else:
        names = set(request.GET) - set(forget_get_keys or ())
    kept = QueryDict(mutable=True)
    for key in sorted(names):
        if key in request.GET:
            kept[key] = request.GET[key]
    kept._mutable = False
    return kept


def url_identity(
    request: HttpRequest,
    only_get_keys: Iterable[str] | None = None,
    forget_get_keys: Iterable[str] | None = None,
) -> str:
    """``scheme://host/path?query`` as the cache sees it (what remembered URLs are keyed by).

    The path is percent-encoded as in ``request.get_full_path()``: decoded, ``/a%3Fb`` would read
    as ``/a?b`` (another view, another page) and a ``%23`` as a fragment.
    """
    query = query_material(request, only_get_keys, forget_get_keys)
    url = f"{request.scheme}://{request_host(request)}{escape_uri_path(request.path)}"
    return f"{url}?{query}" if query else url


def page_key(url: str, key_prefix: str, locale: str = "") -> str:
    """Key of a page's base entry: a response, or a marker naming the request headers it varies on.

    ``locale``: the request's language and time zone when not the defaults (``herdcache.locale``).
    """
    if locale:
        return herd_key("p", f"{key_prefix}{_SEP}{url}{_SEP}{locale}")
    return herd_key("p", f"{key_prefix}{_SEP}{url}")


def variant_key(base_key: str, vary_values: Iterable[tuple[str, str]]) -> str:
    """Key of one ``Vary`` variant of a page (header values as the request sent them)."""
    material = _SEP.join(f"{name}={value}" for name, value in vary_values)
    return herd_key("v", f"{base_key}{_SEP}{material}")
