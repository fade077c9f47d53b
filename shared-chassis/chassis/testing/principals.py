"""Signed internal-principal headers for tests: what the gateway would forward for a caller."""

from __future__ import annotations

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY


def principal_headers(
    role: Role | str,
    sub: str = "user-1",
    *,
    provider_id: str | None = None,
    regions: tuple[str, ...] = (),
    key: str = DEV_INTERNAL_TOKEN_KEY,
) -> dict[str, str]:
    """`principal_headers(Role.OFFICER, "off-1", regions=("341800",))` -> the signed header."""
    principal = Principal(sub=sub, role=Role(role), provider_id=provider_id, region_codes=regions)
    return {PRINCIPAL_HEADER: mint_internal_token(principal, key)}
