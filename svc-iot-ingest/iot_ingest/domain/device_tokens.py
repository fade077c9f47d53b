"""Device tokens: 256-bit random, shown once, stored as a SHA-256 hash.

A fast hash is right here (unlike passwords): the secret is random, so there is nothing to
guess, and the hot path checks a token on every request.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "hbd_"  # noqa: S105 - a marker, not a secret


def new_device_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_from_header(value: str | None) -> str | None:
    """`Authorization: Bearer hbd_...` (or the bare token)."""
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value.strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return token
