"""Who oversees what: a provider's admins their provider, officers their regions, ops all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OversightScope:
    """What an oversight list shows: a provider's (None: any) and regions' (None: any)."""

    provider_id: str | None = None
    region_prefixes: tuple[str, ...] | None = None


def region_prefix(code: str) -> str:
    """GB/T 2260: 330000 is the province, 330100 the city, 330102 the district (the prefix
    rule of `chassis.principal.Principal.in_region`)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
