"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

Implemented here because the `standardwebhooks` package is not available to this project; the
scheme is small and the stub receiver verifies with the same function.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

TOLERANCE_SECONDS = 300


def secret_bytes(secret: str) -> bytes:
    """A `whsec_<base64>` secret as the spec writes it; any other text as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    payload = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), payload, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


def verify(secret: str, *, received: dict[str, str], body: bytes, now: int) -> bool:
    """True when one of the space-separated v1 signatures matches and the time is within 5 min."""
    msg_id = received.get("webhook-id", "")
    stamp = received.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id=msg_id, timestamp=int(stamp), body=body)
    offered = received.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
