"""Who may see what: provider staff see their provider's beds, devices and alarms; ops see all.

Another provider's object answers exactly like a missing one (`NotFound`), never `Forbidden`:
use cases check visibility first, then the role (`require_admin`).
"""

from __future__ import annotations

from chassis.access import require_role
from chassis.errors import Forbidden
from chassis.principal import Principal, Role
from iot_ingest.domain.alarms.lifecycle import Actor
from iot_ingest.domain.oversight import OversightScope, region_prefix

STAFF_ROLES = (Role.CAREGIVER, Role.PROVIDER_ADMIN, Role.OPS)
OVERSIGHT_ROLES = (Role.PROVIDER_ADMIN, Role.OFFICER, Role.OPS)


def oversight_scope(principal: Principal) -> OversightScope:
    """Provider admins see their provider; officers the beds of their regions; ops all."""
    require_role(principal, *OVERSIGHT_ROLES)
    if principal.role is Role.OFFICER:
        return OversightScope(
            region_prefixes=tuple(region_prefix(c) for c in principal.region_codes)
        )
    if principal.role is Role.OPS:
        return OversightScope()
    return OversightScope(provider_id=provider_scope(principal))


def actor_of(principal: Principal) -> Actor:
    return Actor(sub=principal.sub, provider_admin=principal.role is Role.PROVIDER_ADMIN)


def provider_scope(principal: Principal) -> str | None:
    """The provider whose objects the principal may see; None means every provider (ops)."""
    require_role(principal, *STAFF_ROLES)
    if principal.role is Role.OPS:
        return None
    if not principal.provider_id:
        raise Forbidden("A provider role needs a provider.", required_roles=STAFF_ROLES)
    return principal.provider_id


def require_provider_admin(principal: Principal) -> None:
    """Changing what protects elders (rules, escalation chains, workers): the provider's admins."""
    require_role(principal, Role.PROVIDER_ADMIN)


def require_admin(principal: Principal) -> None:
    """Managing devices, rules and escalation chains: provider admins (and ops)."""
    require_role(principal, Role.PROVIDER_ADMIN, Role.OPS)


def visible(scope: str | None, provider_id: str) -> bool:
    return scope is None or scope == provider_id
