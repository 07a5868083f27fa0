"""Webhook signatures and payloads (``crowdwall.sources.webhook``), without HTTP."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from crowdwall.sources.webhook import PayloadError, read_payload, sign, verify

BODY = b'{"id": "1"}'


def test_sign_is_hmac_sha256_of_the_raw_body():
    expected = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", BODY) == f"sha256={expected}"


def test_verify_accepts_the_signature_in_any_hex_case():
    signature = sign("s3cret", BODY)
    assert verify("s3cret", BODY, signature)
    assert verify("s3cret", BODY, signature.upper().replace("SHA256", "sha256"))
    assert verify("s3cret", BODY, f"  {signature}  ")


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("other", BODY, sign("s3cret", BODY)),  # wrong secret
        ("s3cret", BODY + b" ", sign("s3cret", BODY)),  # body changed in transit
        ("s3cret", BODY, ""),
        ("s3cret", BODY, "sha256="),
        ("s3cret", BODY, sign("s3cret", BODY)[:-2]),  # truncated
        ("s3cret", BODY, "sha1=" + hashlib.sha1(BODY).hexdigest()),
        ("s3cret", BODY, sign("s3cret", BODY).removeprefix("sha256=")),  # no scheme
        ("s3cret", BODY, "sha256=" + "é" * 64),  # not hex (and not ASCII)
        ("", BODY, sign("", BODY)),  # no secret configured: nothing verifies
    ],
)
def test_verify_refuses_everything_else(secret, body, header):
    assert not verify(secret, body, header)


def test_read_payload_takes_one_post_or_a_batch():
    assert read_payload(b'{"id": "1"}') == [{"id": "1"}]
    assert read_payload(b'{"posts": [{"id": "1"}, 2]}') == [{"id": "1"}, 2]
    assert read_payload(b'{"posts": []}') == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"", "bad_json"),
        (b"[1, 2]", "invalid_payload"),
        (b'"a string"', "invalid_payload"),
        (b'{"posts": {"id": "1"}}', "invalid_payload"),
    ],
)
def test_read_payload_refuses_what_is_not_a_post_or_batch(body, code):
    with pytest.raises(PayloadError) as caught:
        read_payload(body)
    assert caught.value.code == code
