"""Webhook signatures and payloads (``crowdwall.sources.webhook``), without HTTP."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from crowdwall.sources.webhook import (
    PayloadError,
    SignatureError,
    authenticate,
    read_payload,
    sign,
    signature_headers,
    verify,
)

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


def test_the_timestamped_signature_covers_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1747213200." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", BODY, 1747213200) == f"sha256={expected}"
    assert verify("s3cret", BODY, f"sha256={expected}", "1747213200")
    assert not verify("s3cret", BODY, f"sha256={expected}", "1747213201")
    assert not verify("s3cret", BODY, f"sha256={expected}")  # not a body-only signature


def test_signature_headers_are_what_authenticate_accepts():
    headers = signature_headers("s3cret", BODY, now=1747213200.7)
    assert headers["X-Crowdwall-Timestamp"] == "1747213200"
    authenticate(
        "s3cret",
        BODY,
        signature=headers["X-Crowdwall-Signature"],
        timestamp=headers["X-Crowdwall-Timestamp"],
        tolerance=300,
        now=1747213200 + 299,
    )


NOW = 1747213200


@pytest.mark.parametrize(
    ("signature", "timestamp", "allow", "status", "code"),
    [
        ("", str(NOW), False, 401, "missing_signature"),
        (sign("s3cret", BODY), "", False, 401, "missing_timestamp"),
        (sign("other", BODY), "", True, 401, "bad_signature"),
        (sign("s3cret", BODY, NOW), str(NOW + 1), False, 401, "bad_signature"),
        (sign("s3cret", BODY, "soon"), "soon", False, 400, "bad_timestamp"),
        (sign("s3cret", BODY, NOW - 301), str(NOW - 301), False, 400, "stale_timestamp"),
        (sign("s3cret", BODY, NOW + 301), str(NOW + 301), False, 400, "future_timestamp"),
        (sign("other", BODY, NOW - 999), str(NOW - 999), False, 401, "bad_signature"),
    ],
)
def test_authenticate_refuses(signature, timestamp, allow, status, code):
    with pytest.raises(SignatureError) as caught:
        authenticate(
            "s3cret",
            BODY,
            signature=signature,
            timestamp=timestamp,
            tolerance=300,
            allow_body_only=allow,
            now=NOW,
        )
    assert (caught.value.status, caught.value.code) == (status, code)


def test_authenticate_accepts_body_only_signatures_only_when_allowed():
    authenticate(
        "s3cret", BODY, signature=sign("s3cret", BODY), timestamp="", tolerance=300,
        allow_body_only=True, now=NOW,
    )  # fmt: skip
    with pytest.raises(SignatureError):
        authenticate(
            "", BODY, signature=sign("", BODY), timestamp="", tolerance=300,
            allow_body_only=True, now=NOW,
        )  # fmt: skip


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
