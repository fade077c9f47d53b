"""Who is calling: a people bearer token, a partner's HMAC signature, or nobody."""

from __future__ import annotations

from dataclasses import dataclass

from chassis.principal import Principal
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.hmac_partner import AUTH_SCHEME as HMAC_SCHEME
from gateway.auth.hmac_partner import PartnerRequestVerifier
from gateway.auth.jwt_people import PeopleTokenVerifier

BEARER_PREFIX = b"bearer "
HMAC_PREFIX = HMAC_SCHEME.lower().encode() + b" "


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller and the key its rate limit is counted under."""

    principal: Principal
    limit_kind: str  # "principal" or "partner_key"
    limit_key: str


def credential_scheme(authorization: bytes | None) -> str:
    """'bearer', 'hmac' or 'none' (decided from the header alone, before reading the body)."""
    if not authorization:
        return "none"
    lowered = authorization[:16].lower()
    if lowered.startswith(BEARER_PREFIX):
        return "bearer"
    if lowered.startswith(HMAC_PREFIX):
        return "hmac"
    return "unknown"


class Authenticator:
    def __init__(self, people: PeopleTokenVerifier, partners: PartnerRequestVerifier) -> None:
        self._people = people
        self._partners = partners

    async def bearer(self, authorization: bytes, request_id: str) -> Caller:
        token = authorization[len(BEARER_PREFIX) :].strip().decode("latin-1")
        principal = await self._people.verify(token, request_id=request_id)
        return Caller(principal, "principal", f"sub:{principal.sub}")

    async def partner(
        self,
        authorization: bytes,
        *,
        method: str,
        path: str,
        query: str,
        body: bytes,
        request_id: str,
    ) -> Caller:
        principal = await self._partners.verify(
            authorization=authorization.decode("latin-1"),
            method=method,
            path=path,
            query=query,
            body=body,
            request_id=request_id,
        )
        key_id = next(s for s in principal.scopes if s.startswith("partner_key:"))
        return Caller(principal, "partner_key", key_id)


def missing_or_unknown(scheme: str) -> AuthenticationFailed:
    reason = FailureReason.MISSING if scheme == "none" else FailureReason.MALFORMED
    return AuthenticationFailed("none", reason)
