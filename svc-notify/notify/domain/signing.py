"""Standard Webhooks signatures (https://www.standardwebhooks.com) through the `standardwebhooks`
package: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`.

Verification recomputes with the package's `sign` and checks the timestamp against the caller's
clock (the package's own `verify` reads the wall clock, which tests drive instead).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def _webhook(secret: str) -> Webhook:
    """A `whsec_<base64>` secret as the spec writes it; any other text as its UTF-8 bytes."""
    return Webhook(secret if secret.startswith(SECRET_PREFIX) else secret.encode())


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return _webhook(secret).sign(msg_id=msg_id, timestamp=moment, data=body.decode())


def headers(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


def verify(secret: str, *, received: dict[str, str], body: bytes, now: int) -> bool:
    """True when one of the space-separated v1 signatures matches and the time is within 5 min."""
    lowered = {name.lower(): value for name, value in received.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id=msg_id, timestamp=int(stamp), body=body)
    offered = lowered.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
