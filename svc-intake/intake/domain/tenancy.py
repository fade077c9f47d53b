"""Who may see what (architecture.md, "Identity and access"): the rule, for one object and as
the role groups the repository turns into SQL.

Elders and family see their own application and bed; provider staff their provider's; officers
their region codes (prefix match); ops may read (masked) for support. Anything not visible answers
404 exactly like a missing object; visible but not allowed answers 403 (`chassis.access`).
"""

from __future__ import annotations

from chassis.principal import Principal, Role

OWNERS = frozenset({Role.ELDER, Role.FAMILY})
PROVIDER_STAFF = frozenset({Role.PROVIDER_ADMIN, Role.CAREGIVER})


def can_view(
    principal: Principal, *, applicant_sub: str, provider_id: str | None, region_code: str
) -> bool:
    role = principal.role
    if role in OWNERS:
        return principal.sub == applicant_sub
    if role in PROVIDER_STAFF:
        return principal.provider_id is not None and principal.provider_id == provider_id
    if role is Role.OFFICER:
        return principal.in_region(region_code)
    return role is Role.OPS
