"""Varnish in front of Django (real varnishd + xkey): the generated VCL, tag and URL purges."""

from __future__ import annotations

import contextlib
import io
import socket
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from herdcache.downstream.vcl import render_vcl
from tests.fixtures.varnish import check_vcl, run_varnish
from tests.herdcache.edge.stack import EdgeStack, Reply, raw_get

pytestmark = pytest.mark.slow
PURGED_WITHIN = 1.0  # seconds from herdcache.purge() returning to Varnish no longer serving it


def cached(reply: Reply) -> bool:
    """Varnish answered from its cache: X-Varnish names this request and the one it stored."""
    return len(reply.headers["x-varnish"].split()) == 2


def warm(stack: EdgeStack, *paths: str) -> None:
    for path in paths:
        stack.get(path)
        assert cached(stack.get(path)), path


def gone_within(stack: EdgeStack, path: str, seconds: float) -> Reply:
    """Poll Varnish until ``path`` is no longer its cached copy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        reply = stack.get(path)
        if not cached(reply) or b"render 1" not in reply.body:
            return reply
        assert time.monotonic() < deadline, f"{path} still cached by Varnish after {seconds}s"
        time.sleep(0.02)  # polling Varnish: its purge has no event to await from here


@pytest.mark.parametrize("header", ["Cache-Tag"])  # xkey itself: every stack test runs it
def test_varnishd_compiles_the_generated_vcl(settings, header):
    settings.HERDCACHE = {"SURROGATE_HEADER": header}
    out = io.StringIO()
    call_command("herdcache", "varnish", "--purge-allow", "10.0.0.0/8", "::1", stdout=out)
    checked = check_vcl(out.getvalue())
    assert checked.returncode == 0, checked.stderr
    assert "set beresp.http.xkey = beresp.http.Cache-Tag;" in out.getvalue()
    assert '"10.0.0.0"/8;' in out.getvalue()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (["--backend", "nohost"], "host:port"),
        (["--purge-allow", "everyone"], "not an IP address"),
        (["--grace", "-1"], "grace"),
    ],
)
def test_bad_arguments_are_command_errors(argument, message):
    with pytest.raises(CommandError, match=message):
        call_command("herdcache", "varnish", *argument, stdout=io.StringIO())


def test_a_tag_purge_empties_varnish_within_a_second_and_spares_other_pages(varnish_stack):
    stack = varnish_stack
    warm(stack, "/t/red/1/", "/t/red/2/", "/t/blue/1/")
    assert "xkey" not in stack.get("/t/red/1/").headers  # the keys stay between Django and Varnish
    stack.purge(tags=("red",))
    for path in ("/t/red/1/", "/t/red/2/"):
        assert gone_within(stack, path, PURGED_WITHIN).body.endswith(b"render 2")
    blue = stack.get("/t/blue/1/")
    assert cached(blue) and blue.body.endswith(b"render 1")


def test_a_url_purge_reaches_varnish(varnish_stack):
    stack = varnish_stack
    warm(stack, "/t/green/1/", "/t/green/2/")
    assert stack.purge(urls=("/t/green/1/",)) == 1
    assert gone_within(stack, "/t/green/1/", PURGED_WITHIN).body.endswith(b"render 2")
    assert cached(stack.get("/t/green/2/"))


def test_a_soft_purge_refreshes_the_page_with_one_render(varnish_stack):
    stack = varnish_stack
    warm(stack, "/t/amber/1/")
    stack.purge(tags=("amber",), soft=True)
    deadline = time.monotonic() + 5
    while not stack.get("/t/amber/1/").body.endswith(b"render 2"):
        assert time.monotonic() < deadline, "soft-purged page never refreshed"
        time.sleep(0.02)  # Varnish refreshes in the background: poll for the new copy
    assert stack.renders("tagged:/t/amber/1/") == 2  # one refresh, not one per request


def test_session_cookies_pass_varnish(varnish_stack):
    stack = varnish_stack
    warm(stack, "/t/violet/1/")
    for _ in range(2):
        reply = stack.get("/t/violet/1/", headers={"Cookie": "sessionid=abc"})
        assert not cached(reply)
    assert cached(stack.get("/t/violet/1/", headers={"Cookie": "theme=dark"}))


def test_only_the_purge_acl_may_purge():
    outsiders_only = contextlib.contextmanager(run_varnish)(
        lambda port, _dir: render_vcl(backend="127.0.0.1:9", purge_allow=["192.0.2.0/24"])
    )
    with outsiders_only as varnish:
        for header in (b"xkey-purge: red", b"xkey-softpurge: red", b"X-Other: 1"):
            with socket.create_connection(("127.0.0.1", varnish.port), timeout=30) as sock:
                sock.sendall(b"PURGE / HTTP/1.1\r\nHost: example.com\r\n" + header + b"\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 403"), header
        assert raw_get(varnish.port, b"/").status == 503  # GETs go on to the (absent) backend
