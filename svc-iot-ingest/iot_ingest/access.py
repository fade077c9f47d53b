"""Who may see what: provider staff see their provider's beds, devices and alarms; ops see all.

Another provider's object answers exactly like a missing one (404), never 403.
"""

from __future__ import annotations

from chassis.principal import Principal, Role
from chassis.problems import ProblemError

PROVIDER_ROLES = frozenset({Role.CAREGIVER, Role.PROVIDER_ADMIN})


def provider_scope(principal: Principal, *, admin_only: bool = False) -> str | None:
    """The provider whose objects the principal may touch; None means every provider (ops)."""
    if principal.role is Role.OPS:
        return None
    if admin_only and principal.role is not Role.PROVIDER_ADMIN:
        raise ProblemError(403, "Forbidden", "Only a provider admin may do this.")
    if principal.role not in PROVIDER_ROLES or not principal.provider_id:
        raise ProblemError(403, "Forbidden", "This role may not see alarms or devices.")
    return principal.provider_id


def visible(scope: str | None, provider_id: str) -> bool:
    return scope is None or scope == provider_id
