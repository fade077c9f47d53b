"""Signed internal-principal headers for tests: what the gateway would forward for a caller."""

from __future__ import annotations

from chassis.principal import (
    DEFAULT_TTL_SECONDS,
    PRINCIPAL_HEADER,
    Principal,
    Role,
    mint_internal_token,
)
from chassis.settings import DEV_INTERNAL_TOKEN_KEY


def principal_headers(
    role: Role | str,
    sub: str = "user-1",
    *,
    provider_id: str | None = None,
    regions: tuple[str, ...] = (),
    key: str = DEV_INTERNAL_TOKEN_KEY,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> dict[str, str]:
    """`principal_headers(Role.OFFICER, "off-1", regions=("341800",))` -> the signed header.

    `ttl_seconds` outlives the gateway's 60 s for long generated runs (conformance tests)."""
    principal = Principal(sub=sub, role=Role(role), provider_id=provider_id, region_codes=regions)
    return {PRINCIPAL_HEADER: mint_internal_token(principal, key, ttl_seconds=ttl_seconds)}
