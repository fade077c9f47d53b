"""The push signature is Standard Webhooks: the reference library accepts what we send."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reporting.domain import signing

SECRET = "whsec_" + base64.b64encode(b"city-platform-shared-secret-0001").decode()


def test_the_reference_library_verifies_our_headers() -> None:
    body = b'{"provider_id":"P-1","date":"2026-11-30"}'
    sent = signing.headers(SECRET, msg_id="msg_1", timestamp=int(time.time()), body=body)
    assert Webhook(SECRET).verify(body, sent) == {"provider_id": "P-1", "date": "2026-11-30"}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body + b" ", sent)


def test_verify_checks_signature_and_window_on_the_given_clock() -> None:
    body = b"{}"
    sent = signing.headers(SECRET, msg_id="msg_2", timestamp=1_000_000, body=body)
    assert signing.verify(SECRET, received=sent, body=body, now=1_000_300)
    assert not signing.verify(SECRET, received=sent, body=body, now=1_000_301)
    assert not signing.verify(SECRET, received=sent, body=b"[]", now=1_000_000)
