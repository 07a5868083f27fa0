"""A fake RSS 2.0 / Atom 1.0 / JSON Feed 1.1 server on loopback: real HTTP (``http.server`` in a thread) with
the controls the RSS source's tests need::

    with FeedServer(format="atom") as feed:
        feed.add("a1", title="Hello", published="Mon, 05 Jun 2023 14:23:00 PDT")
        feed.fail(429, retry_after="7")          # the next request gets a 429
        feed.drop()                              # the next connection is closed unanswered
        feed.malformed = "truncated"             # serve half a document from now on
        gate = feed.hold()                       # requests wait until gate.set()
        feed.requests[-1].headers["if-none-match"]
        feed.robots = "User-agent: crowdwall\nDisallow: /"   # served at /robots.txt
        feed.robots_status = 503                 # /robots.txt answers 503 instead
        feed.robots_requests[-1].headers["user-agent"]

Every revision of the feed has its own ``ETag`` and ``Last-Modified``; a request whose
``If-None-Match`` (or, without one, ``If-Modified-Since``) names the current revision gets
``304``. Requests are recorded with start and end times, and ``max_in_flight`` tells whether
two were ever served at once. ``/robots.txt`` is answered apart (404 until ``robots`` is set)
and its requests are kept in ``robots_requests``, so the feed's own requests count as before.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape, quoteattr

BASE_TIME = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
MRSS = "http://search.yahoo.com/mrss/"


@dataclass
class Item:
    """One entry. ``id=None`` leaves out the guid/id; dates are written exactly as given."""

    id: str | None
    title: str = ""
    html: str = ""
    text: str = ""  # Atom ``content type="text"`` (RSS: escaped into the description)
    link: str = ""
    published: str = ""
    updated: str = ""
    author: str = ""
    categories: list[str] = field(default_factory=list)
    media: list[tuple[str, str, str]] = field(default_factory=list)  # (url, mime type, alt)
    enclosures: list[tuple[str, str]] = field(default_factory=list)  # (url, mime type)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    started: float
    finished: float | None = None
    status: int | None = None  # None: the connection was dropped (or the client gave up)


def atom_id(id: str) -> str:
    """The Atom id of entry ``id`` (Atom ids are absolute URIs; RSS guids are used as given)."""
    return f"tag:feed.example,2025:{id}"


def _rss(title: str, site: str, items: list[Item]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<rss version="2.0" xmlns:media="{MRSS}" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f"<channel><title>{escape(title)}</title><link>{escape(site)}</link>"
        "<description>A fake feed</description><language>en</language>",
    ]
    for item in items:
        out.append("<item>")
        if item.title:
            out.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            out.append(f"<link>{escape(item.link)}</link>")
        if item.id is not None:
            out.append(f'<guid isPermaLink="false">{escape(item.id)}</guid>')
        if item.html or item.text:
            out.append(f"<description>{escape(item.html or escape(item.text))}</description>")
        if item.published:
            out.append(f"<pubDate>{escape(item.published)}</pubDate>")
        if item.author:
            out.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        out += [f"<category>{escape(c)}</category>" for c in item.categories]
        for url, mime, alt in item.media:
            out.append(f"<media:content url={quoteattr(url)} type={quoteattr(mime)}>")
            if alt:
                out.append(f'<media:description type="plain">{escape(alt)}</media:description>')
            out.append("</media:content>")
        out += [
            f'<enclosure url={quoteattr(u)} type={quoteattr(m)} length="0"/>'
            for u, m in item.enclosures
        ]
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def _atom(title: str, site: str, items: list[Item], updated: str) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="{MRSS}">',
        f"<title>{escape(title)}</title><id>urn:fake:feed</id><updated>{updated}</updated>",
        f'<link rel="alternate" href={quoteattr(site)}/>',
    ]
    for item in items:
        out.append("<entry>")
        if item.id is not None:
            out.append(f"<id>{escape(atom_id(item.id))}</id>")
        if item.title:
            out.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            out.append(f'<link rel="alternate" href={quoteattr(item.link)}/>')
        if item.published:
            out.append(f"<published>{escape(item.published)}</published>")
        if item.updated:
            out.append(f"<updated>{escape(item.updated)}</updated>")
        if item.author:
            out.append(f"<author><name>{escape(item.author)}</name></author>")
        if item.html:
            out.append(f'<content type="html">{escape(item.html)}</content>')
        elif item.text:
            out.append(f'<content type="text">{escape(item.text)}</content>')
        out += [f"<category term={quoteattr(c)}/>" for c in item.categories]
        for url, mime, alt in item.media:
            out.append(f"<media:content url={quoteattr(url)} type={quoteattr(mime)}>")
            if alt:
                out.append(f"<media:description>{escape(alt)}</media:description>")
            out.append("</media:content>")
        out += [
            f'<link rel="enclosure" href={quoteattr(u)} type={quoteattr(m)}/>'
            for u, m in item.enclosures
        ]
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out)


def _json(title: str, site: str, items: list[Item]) -> str:
    """JSON Feed 1.1: categories as ``tags``, media and enclosures as ``attachments`` (with
    the alt text as their ``title``), plain text as ``content_text``."""
    out = []
    for item in items:
        entry: dict[str, object] = {"id": item.id} if item.id is not None else {}
        fields = [("title", item.title), ("url", item.link), ("date_published", item.published),
                  ("date_modified", item.updated), ("content_html", item.html)]  # fmt: skip
        entry.update((k, v) for k, v in fields if v)
        if item.text and not item.html:
            entry["content_text"] = item.text
        if item.author:
            entry["authors"] = [{"name": item.author}]
        if item.categories:
            entry["tags"] = item.categories
        attachments = [{"url": u, "mime_type": m, "title": a} for u, m, a in item.media]
        attachments += [{"url": u, "mime_type": m} for u, m in item.enclosures]
        if attachments:
            entry["attachments"] = attachments
        out.append(entry)
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": site}
    return json.dumps({**feed, "language": "en", "items": out}, indent=1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return None

    def do_GET(self) -> None:
        self.server.fake._serve(self)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        return None  # clients that time out or reset their connection are part of the tests


class FeedServer:
    """The fake feed; a context manager, or ``start()``/``stop()`` (see the module docstring)."""

    def __init__(self, *, format: str = "rss", title: str = "Fake feed", path: str = "/feed.xml"):
        assert format in ("rss", "atom", "json")
        self.format = format
        self.title = title
        self.path = path
        self.items: list[Item] = []  # oldest first; served newest first
        self.max_items = 50
        self.revision = 0
        self.etags = True  # send ETag / honour If-None-Match
        self.last_modified = True  # send Last-Modified / honour If-Modified-Since
        self.malformed: str | None = None  # "truncated" or "garbage"
        self.body: bytes | None = None  # served as is instead of the feed, when set
        self.content_type = ""
        self.requests: list[Recorded] = []
        self.robots: str | None = None
        self.robots_status: int | None = None
        self.robots_requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._failures: deque[tuple[int, str | None]] = deque()
        self._drops = 0
        self._gate: threading.Event | None = None
        self._lock = threading.Condition()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.path}"

    @property
    def site(self) -> str:
        return self.url.removesuffix(self.path) + "/"

    def start(self) -> FeedServer:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon shutdown() is noticed
            name="fake-feed",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._httpd = self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Test controls -------------------------------------------------------------------------

    def add(self, id: str | None, **fields: object) -> Item:
        """A new entry (a new revision of the feed); ``link`` defaults to one on the site."""
        item = Item(id, **fields)  # type: ignore[arg-type]
        if not item.link and id is not None:
            item.link = f"{self.site}posts/{id}"
        with self._lock:
            self.items.append(item)
            self.revision += 1
        return item

    def edit(self, id: str, **fields: object) -> Item:
        with self._lock:
            item = next(i for i in self.items if i.id == id)
            for name, value in fields.items():
                setattr(item, name, value)
            self.revision += 1
        return item

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """The next ``times`` requests get ``status`` (with ``Retry-After`` if given)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def drop(self, times: int = 1) -> None:
        """The next ``times`` requests are read and their connection closed unanswered."""
        with self._lock:
            self._drops += times

    def hold(self) -> threading.Event:
        """Requests wait (before answering) until the returned event is set."""
        self._gate = threading.Event()
        return self._gate

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests have arrived (a condition, not a poll)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.requests) >= count, timeout)

    @property
    def etag(self) -> str:
        return f'"rev-{self.revision}"'

    @property
    def modified(self) -> str:
        return format_datetime(BASE_TIME + timedelta(minutes=self.revision), usegmt=True)

    def statuses(self) -> list[int | None]:
        return [r.status for r in self.requests]

    # Serving -----------------------------------------------------------------------------

    def document(self) -> bytes:
        if self.body is not None:
            return self.body
        items = list(reversed(self.items))[: self.max_items]
        if self.format == "rss":
            text = _rss(self.title, self.site, items)
        elif self.format == "json":
            text = _json(self.title, self.site, items)
        else:
            text = _atom(
                self.title,
                self.site,
                items,
                (BASE_TIME + timedelta(minutes=self.revision)).isoformat(),
            )
        data = text.encode("utf-8")
        if self.malformed == "truncated":
            return data[: len(data) // 2]
        if self.malformed == "garbage":
            return b"<<<this is not a feed>>> \x00\x01"
        return data

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if self.etags and "if-none-match" in headers:
            return self.etag in [t.strip() for t in headers["if-none-match"].split(",")]
        return self.last_modified and headers.get("if-modified-since") == self.modified

    def _serve(self, handler: _Handler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Recorded(handler.command, handler.path, headers, time.monotonic())
        if handler.path.split("?")[0] == "/robots.txt":
            self._serve_robots(handler, record)
            return
        with self._lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            failure = self._failures.popleft() if self._failures else None
            drop = self._drops > 0
            self._drops -= drop
            self._lock.notify_all()
        try:
            if self._gate is not None:
                self._gate.wait(10)
            if drop:
                self._done(record, None)
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if failure is not None:
                status, retry_after = failure
                extra = {"Retry-After": retry_after} if retry_after else {}
                self._respond(handler, record, status, b"try again later", "text/plain", extra)
            elif handler.path.split("?")[0] != self.path:
                self._respond(handler, record, 404, b"no such feed", "text/plain", {})
            else:
                with self._lock:
                    validators = {}
                    if self.etags:
                        validators["ETag"] = self.etag
                    if self.last_modified:
                        validators["Last-Modified"] = self.modified
                    fresh = self._not_modified(headers)
                    body = b"" if fresh else self.document()
                if fresh:
                    self._respond(handler, record, 304, b"", "", validators)
                else:
                    kind = self.content_type or (
                        "application/feed+json"
                        if self.format == "json"
                        else f"application/{self.format}+xml; charset=utf-8"
                    )
                    self._respond(handler, record, 200, body, kind, validators)
        except OSError:
            handler.close_connection = True  # the client went away (it timed out): fine
        finally:
            self._done(record, record.status)

    def _serve_robots(self, handler: _Handler, record: Recorded) -> None:
        with self._lock:
            self.robots_requests.append(record)
            self.in_flight += 1  # _done counts it out again
            self._lock.notify_all()
        status = self.robots_status or (404 if self.robots is None else 200)
        body = (self.robots or "no robots.txt").encode() if status == 200 else b"nope"
        self._respond(handler, record, status, body, "text/plain", {})

    def _done(self, record: Recorded, status: int | None) -> None:
        """Record the end of a request *before* its last byte goes out: a client that sends
        its next request on receiving the answer must find this one finished."""
        with self._lock:
            if record.finished is None:
                record.status = status
                record.finished = time.monotonic()
                self.in_flight -= 1

    def _respond(
        self,
        handler: _Handler,
        record: Recorded,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
    ) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        self._done(record, status)
        handler.end_headers()
        if body:
            handler.wfile.write(body)
        handler.wfile.flush()
