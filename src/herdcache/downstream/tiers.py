"""The HTTP requests one purge becomes for each kind of downstream cache (framework-free).

``HERDCACHE["DOWNSTREAM"]`` entries, by ``kind``:

- ``varnish``: ``urls`` (the Varnish nodes, ``http://host:port``). Keys: ``PURGE /`` with
  ``xkey-purge: k1 k2`` (or ``xkey-softpurge``), as ``manage.py herdcache varnish``'s VCL defines
  it; a URL: ``PURGE <path>`` with the page's Host (``herdcache-soft: 1`` for a soft purge).
- ``fastly``: ``service`` and ``token``. Keys: ``POST {base_url}/service/{service}/purge`` with
  ``{"surrogate_keys": [...]}`` (at most 256 per request); a URL: ``POST
  {base_url}/purge/{host}{path}``. ``Fastly-Key`` auth, ``Fastly-Soft-Purge: 1`` when soft.
- ``cloudflare``: ``zone`` and ``token``. ``POST {base_url}/client/v4/zones/{zone}/purge_cache``
  with ``{"tags": [...]}`` or ``{"files": [...]}``, ``batch`` (default 30, Cloudflare's
  per-request limit for tags and, below Enterprise, URLs) at a time; ``Authorization: Bearer``.
  Cloudflare has no soft purge: a soft purge is a hard one there.

Every kind also takes ``name`` (for logs and results), ``base_url`` (fastly, cloudflare: tests
point it at a fake server), ``timeout`` (seconds per request, default 5), ``retries`` (default 3)
and ``backoff`` (first retry delay in seconds, doubled each time; default 0.5).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

KINDS = ("varnish", "fastly", "cloudflare")
BASE_URLS = {"fastly": "https://api.fastly.com", "cloudflare": "https://api.cloudflare.com"}
REQUIRED = {"varnish": ("urls",), "fastly": ("service", "token"), "cloudflare": ("zone", "token")}
OPTIONAL = ("name", "base_url", "timeout", "retries", "backoff", "batch")
FASTLY_BATCH = 256  # Fastly's bulk purge takes up to 256 surrogate keys per request
CLOUDFLARE_BATCH = 30
XKEY_HEADER_BUDGET = 7000  # bytes of keys per PURGE request (Varnish's request line limits)


@dataclass(frozen=True)
class Call:
    """One HTTP request to send (and retry) for a purge."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Tier:
    """One configured downstream cache: its kind, a display name and its settings."""

    kind: str
    name: str
    options: dict[str, Any]

    @classmethod
    def from_setting(cls, entry: dict[str, Any]) -> Tier:
        """A tier from one ``HERDCACHE["DOWNSTREAM"]`` dict (checked by herdcache.E031)."""
        kind = entry["kind"]
        target = entry.get("service") or entry.get("zone") or ",".join(entry.get("urls", ()))
        return cls(kind, str(entry.get("name") or f"{kind}:{target}"), dict(entry))

    @property
    def timeout(self) -> float:
        return float(self.options.get("timeout", 5.0))

    @property
    def retries(self) -> int:
        return int(self.options.get("retries", 3))

    @property
    def backoff(self) -> float:
        return float(self.options.get("backoff", 0.5))

    def calls(self, keys: Sequence[str], urls: Sequence[str], *, soft: bool) -> list[Call]:
        """The requests purging ``keys`` (already encoded surrogate keys) and ``urls``."""
        build = {"varnish": _varnish, "fastly": _fastly, "cloudflare": _cloudflare}[self.kind]
        return list(build(self.options, list(keys), list(urls), soft))


def _varnish(
    options: dict[str, Any], keys: list[str], urls: list[str], soft: bool
) -> Iterator[Call]:
    nodes = [options["urls"]] if isinstance(options["urls"], str) else list(options["urls"])
    header = "xkey-softpurge" if soft else "xkey-purge"
    for node in nodes:
        node = node.rstrip("/") if "://" in node else f"http://{node.rstrip('/')}"
        for chunk in _chunks_by_size(keys, XKEY_HEADER_BUDGET):
            yield Call("PURGE", f"{node}/", {header: " ".join(chunk)})
        for url in urls:
            parts = urlsplit(url)
            target = _path(parts.path, parts.query)
            headers = {"Host": parts.netloc}
            if soft:
                headers["herdcache-soft"] = "1"
            yield Call("PURGE", f"{node}{target}", headers)


def _fastly(
    options: dict[str, Any], keys: list[str], urls: list[str], soft: bool
) -> Iterator[Call]:
    base = str(options.get("base_url") or BASE_URLS["fastly"]).rstrip("/")
    headers = {"Fastly-Key": str(options["token"]), "Accept": "application/json"}
    if soft:
        headers["Fastly-Soft-Purge"] = "1"
    service = quote(str(options["service"]), safe="")
    for chunk in _chunks(keys, int(options.get("batch", FASTLY_BATCH))):
        body = json.dumps({"surrogate_keys": chunk}).encode()
        yield Call(
            "POST",
            f"{base}/service/{service}/purge",
            {**headers, "Content-Type": "application/json"},
            body,
        )
    for url in urls:
        parts = urlsplit(url)
        yield Call("POST", f"{base}/purge/{parts.netloc}{_path(parts.path, parts.query)}", headers)


def _cloudflare(
    options: dict[str, Any], keys: list[str], urls: list[str], soft: bool
) -> Iterator[Call]:
    base = str(options.get("base_url") or BASE_URLS["cloudflare"]).rstrip("/")
    zone = quote(str(options["zone"]), safe="")
    endpoint = f"{base}/client/v4/zones/{zone}/purge_cache"
    headers = {"Authorization": f"Bearer {options['token']}", "Content-Type": "application/json"}
    batch = int(options.get("batch", CLOUDFLARE_BATCH))
    for field_name, values in (("tags", keys), ("files", urls)):
        for chunk in _chunks(values, batch):
            yield Call("POST", endpoint, headers, json.dumps({field_name: chunk}).encode())


def _path(path: str, query: str) -> str:
    # http.client sends the target as it is: keep it ASCII (non-ASCII percent-encoded, as a
    # browser would have sent it; what is already encoded stays so).
    target = quote(path or "/", safe="/%:@!$&'()*+,;=-._~")
    return f"{target}?{quote(query, safe='/%:@!$&()*+,;=-._~?')}" if query else target


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), max(1, size)):
        yield values[start : start + size]


def _chunks_by_size(values: list[str], budget: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    used = 0
    for value in values:
        if chunk and used + len(value) + 1 > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(value)
        used += len(value) + 1
    if chunk:
        yield chunk
