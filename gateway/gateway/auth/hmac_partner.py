"""Partner hospitals: API key id + HMAC-SHA256 signature over the request.

The caller sends
    Authorization: HMAC-SHA256 Credential=<key id>, Timestamp=<unix seconds>, Signature=<hex>
where Signature = hex(HMAC-SHA256(secret, canonical request)) and the canonical request is
    "HMAC-SHA256\n<timestamp>\n<METHOD>\n<path as sent>\n<sorted query>\n<hex sha256(body)>".
A timestamp more than `window` seconds from the gateway's clock is refused, and so is a signature
already seen inside the window (a replay): `gateway.auth.replay` keeps each signature until its
window ends, in memory or, with several replicas, in their shared database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, quote

from chassis.principal import Principal, Role
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.replay import MemoryReplayGuard, ReplayGuard, ReplayMemoryFull

SCHEME = "hmac"
AUTH_SCHEME = "HMAC-SHA256"
DEFAULT_WINDOW_SECONDS = 300

_HEADER_PATTERN = re.compile(
    r"^HMAC-SHA256\s+Credential=(?P<key_id>[A-Za-z0-9_\-]{1,64}),\s*"
    r"Timestamp=(?P<timestamp>\d{1,12}),\s*Signature=(?P<signature>[0-9a-fA-F]{64})$"
)


@dataclass(frozen=True, slots=True)
class PartnerKey:
    """What the verifier needs to know about one key (the secret already decrypted)."""

    key_id: str
    partner_id: str
    secret: bytes
    region_codes: tuple[str, ...] = ()
    revoked: bool = False


class PartnerKeyLookup(Protocol):
    async def find(self, key_id: str) -> PartnerKey | None:
        """The key with this id, revoked or not; None when there is none."""
        ...


def canonical_query(query: str) -> str:
    """Query pairs decoded, sorted by name then value, re-encoded the same way on both sides."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def canonical_request(
    *, method: str, path: str, query: str, timestamp: int | str, body: bytes
) -> bytes:
    return "\n".join(
        (
            AUTH_SCHEME,
            str(timestamp),
            method.upper(),
            path,
            canonical_query(query),
            hashlib.sha256(body).hexdigest(),
        )
    ).encode("utf-8")


def sign(
    secret: bytes, *, method: str, path: str, query: str, timestamp: int | str, body: bytes
) -> str:
    """The hex signature a partner puts in its Authorization header."""
    message = canonical_request(
        method=method, path=path, query=query, timestamp=timestamp, body=body
    )
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def authorization_header(
    *, key_id: str, secret: bytes, method: str, path: str, query: str, body: bytes, timestamp: int
) -> str:
    """The full Authorization header value (for partners' clients and tests)."""
    signature = sign(secret, method=method, path=path, query=query, timestamp=timestamp, body=body)
    return f"{AUTH_SCHEME} Credential={key_id}, Timestamp={timestamp}, Signature={signature}"


def _fail(reason: FailureReason, detail: str = "") -> AuthenticationFailed:
    return AuthenticationFailed(SCHEME, reason, detail)


class PartnerRequestVerifier:
    """Checks a partner's signed request and returns the hospital principal."""

    def __init__(
        self,
        keys: PartnerKeyLookup,
        *,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
        replay_guard: ReplayGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._window = window_seconds
        self._replays = replay_guard if replay_guard is not None else MemoryReplayGuard()
        self._clock = clock

    async def verify(
        self,
        *,
        authorization: str,
        method: str,
        path: str,
        query: str,
        body: bytes,
        request_id: str | None = None,
    ) -> Principal:
        match = _HEADER_PATTERN.match(authorization.strip())
        if match is None:
            raise _fail(FailureReason.MALFORMED)
        key_id, signature = match["key_id"], match["signature"].lower()
        timestamp = int(match["timestamp"])
        now = self._clock()
        if abs(now - timestamp) > self._window:
            raise _fail(FailureReason.STALE_TIMESTAMP)
        key = await self._keys.find(key_id)
        if key is None:
            raise _fail(FailureReason.UNKNOWN_KEY)
        if key.revoked:
            raise _fail(FailureReason.REVOKED_KEY)
        expected = sign(
            key.secret, method=method, path=path, query=query, timestamp=timestamp, body=body
        )
        if not hmac.compare_digest(expected, signature):
            raise _fail(FailureReason.BAD_SIGNATURE)
        try:
            fresh = await self._replays.first_use(
                f"{key_id}:{signature}", expires_at=timestamp + self._window, now=now
            )
        except ReplayMemoryFull:
            raise _fail(FailureReason.REPLAY_MEMORY_FULL) from None
        if not fresh:
            raise _fail(FailureReason.REPLAYED)
        return hospital_principal(key, request_id)


def hospital_principal(key: PartnerKey, request_id: str | None) -> Principal:
    """The partner organisation is the subject; the key id travels as a scope for audit."""
    return Principal(
        sub=key.partner_id,
        role=Role.HOSPITAL,
        region_codes=key.region_codes,
        scopes=("partner", f"partner_key:{key.key_id}"),
        request_id=request_id,
    )
