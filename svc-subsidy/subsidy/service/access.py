"""Who may see and act on a settlement: a provider admin on their own provider's, an officer
within their regions (the jurisdiction lies in one of them). Others' settlements are NotFound."""

from __future__ import annotations

from chassis.access import require_role
from chassis.errors import Forbidden, NotFound
from chassis.principal import Principal, Role


def may_see(principal: Principal, provider_id: str, jurisdiction: str) -> bool:
    if principal.role == Role.PROVIDER_ADMIN:
        return principal.provider_id == provider_id
    if principal.role == Role.OFFICER:
        return principal.in_region(jurisdiction)
    return False


def require_visible(principal: Principal, provider_id: str, jurisdiction: str) -> None:
    """NotFound, exactly like a missing settlement, unless the caller may see it."""
    require_role(principal, Role.PROVIDER_ADMIN, Role.OFFICER)
    if not may_see(principal, provider_id, jurisdiction):
        raise NotFound("settlement")


def require_scope(principal: Principal, provider_id: str, jurisdiction: str) -> None:
    """For a run named in a body: Forbidden (not NotFound) outside the caller's provider/region."""
    require_role(principal, Role.PROVIDER_ADMIN, Role.OFFICER)
    if not may_see(principal, provider_id, jurisdiction):
        if principal.role == Role.PROVIDER_ADMIN:
            raise Forbidden("a provider admin settles only their own provider")
        raise Forbidden(f"jurisdiction {jurisdiction} is outside the officer's regions")


def require_officer_of(principal: Principal, jurisdiction: str) -> None:
    """Approvals, rejections, payments and clawbacks need an officer of the region."""
    require_role(principal, Role.OFFICER)
    if not principal.in_region(jurisdiction):
        raise Forbidden(f"jurisdiction {jurisdiction} is outside the officer's regions")
