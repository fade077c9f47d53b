"""Authentication failures: a machine reason for metrics and logs, never shown to the caller."""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """Why a credential was refused (a bounded set: it is a metric label)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNSUPPORTED_ALG = "unsupported_alg"
    UNKNOWN_KID = "unknown_kid"
    ALG_KEY_MISMATCH = "alg_key_mismatch"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    MISSING_CLAIM = "missing_claim"
    BAD_CLAIMS = "bad_claims"
    KEYS_UNAVAILABLE = "keys_unavailable"
    UNKNOWN_KEY = "unknown_key"
    REVOKED_KEY = "revoked_key"
    STALE_TIMESTAMP = "stale_timestamp"
    REPLAYED = "replayed"
    REPLAY_MEMORY_FULL = "replay_memory_full"


class AuthenticationFailed(Exception):
    """A credential was missing or refused; `scheme` and `reason` feed the metrics only."""

    def __init__(self, scheme: str, reason: FailureReason, detail: str = "") -> None:
        super().__init__(f"{scheme}: {reason.value}" + (f" ({detail})" if detail else ""))
        self.scheme = scheme
        self.reason = reason
        self.detail = detail
