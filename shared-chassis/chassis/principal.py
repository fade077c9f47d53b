"""The internal principal: who is calling, as vouched for by the gateway.

The gateway authenticates people and partner systems, then mints a short-lived token signed with
the internal key. Services trust only that token (never a bare header) and verify it here.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any, cast

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PRINCIPAL_HEADER = "X-HomeBed-Principal"
ISSUER = "homebed-gateway"
AUDIENCE = "homebed-internal"
ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 60


class Role(StrEnum):
    ELDER = "elder"
    FAMILY = "family"
    CAREGIVER = "caregiver"
    PROVIDER_ADMIN = "provider_admin"
    OFFICER = "officer"
    HOSPITAL = "hospital"
    OPS = "ops"


class Principal(BaseModel):
    """Claims: `sub`, `role`, `provider_id`, `region_codes`, `scopes`, `request_id`."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1)
    role: Role
    provider_id: str | None = None
    region_codes: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    request_id: str | None = None

    def in_region(self, region_code: str) -> bool:
        """True when a region code lies within one of the principal's regions (prefix match)."""
        return any(region_code.startswith(_region_prefix(code)) for code in self.region_codes)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _region_prefix(code: str) -> str:
    # GB/T 2260: 330000 is the province, 330100 the city, 330102 the district.
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class InvalidPrincipalToken(Exception):
    """The token is missing, expired, forged or malformed."""


def mint_internal_token(
    principal: Principal,
    key: str,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """Sign the principal's claims with the internal key (used by the gateway and by tests)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = principal.model_dump(mode="json")
    claims.update(iss=ISSUER, aud=AUDIENCE, iat=issued, nbf=issued - 5, exp=issued + ttl_seconds)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_internal_token(token: str, key: str, *, now: float | None = None) -> Principal:
    """Verify signature, issuer, audience and expiry; return the principal."""
    options = cast(Any, {"require": ["exp", "iat", "iss", "aud", "sub"]})
    try:
        claims = (
            jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options=options,
                leeway=0,
            )
            if now is None
            else _decode_at(token, key, now, options)
        )
        return Principal.model_validate(
            {name: claims.get(name) for name in Principal.model_fields if name in claims}
        )
    except (jwt.PyJWTError, ValidationError) as exc:
        raise InvalidPrincipalToken(str(exc)) from exc


def _decode_at(token: str, key: str, now: float, options: Any) -> dict[str, Any]:
    """Decode with a controlled clock (tests): verify the signature, then check times by hand."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=ISSUER,
        options=cast(
            Any, {**options, "verify_exp": False, "verify_nbf": False, "verify_iat": False}
        ),
    )
    if now >= claims["exp"]:
        raise jwt.ExpiredSignatureError("token has expired")
    if now < claims.get("nbf", claims["iat"]):
        raise jwt.ImmatureSignatureError("token is not yet valid")
    return claims
