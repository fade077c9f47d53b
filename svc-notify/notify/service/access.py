"""Who may see what: provider admins their provider's people, schedules and deliveries;
officers the deliveries of their regions' beds; ops everything; everyone their own inbox."""

from __future__ import annotations

from dataclasses import dataclass

from chassis.access import require_role
from chassis.errors import Forbidden
from chassis.principal import Principal, Role

MANAGERS = (Role.PROVIDER_ADMIN, Role.OPS)
READERS = (Role.PROVIDER_ADMIN, Role.OFFICER, Role.OPS)


def managed_provider(principal: Principal, requested: str | None) -> str | None:
    """The provider whose people/schedules the caller manages (None: ops, every provider).
    A provider admin naming another provider is refused; ops may name any."""
    require_role(principal, *MANAGERS)
    if principal.role is Role.OPS:
        return requested
    if not principal.provider_id:
        raise Forbidden("A provider role needs a provider.", required_roles=MANAGERS)
    return principal.provider_id


def staff_provider(principal: Principal) -> str:
    """Caregivers and provider admins: their own provider (the monitoring centre, schedules)."""
    require_role(principal, Role.CAREGIVER, Role.PROVIDER_ADMIN)
    if not principal.provider_id:
        raise Forbidden("A provider role needs a provider.", required_roles=MANAGERS)
    return principal.provider_id


@dataclass(frozen=True)
class DeliveryScope:
    provider_id: str | None = None
    region_prefixes: tuple[str, ...] | None = None  # officers: their regions

    def sees(self, provider_id: str | None, region_code: str | None) -> bool:
        if self.provider_id is not None and provider_id != self.provider_id:
            return False
        if self.region_prefixes is not None:
            return region_code is not None and region_code.startswith(self.region_prefixes)
        return True


def delivery_scope(principal: Principal) -> DeliveryScope:
    require_role(principal, *READERS)
    if principal.role is Role.OFFICER:
        return DeliveryScope(region_prefixes=tuple(_prefix(c) for c in principal.region_codes))
    if principal.role is Role.OPS:
        return DeliveryScope()
    if not principal.provider_id:
        raise Forbidden("A provider role needs a provider.", required_roles=READERS)
    return DeliveryScope(provider_id=principal.provider_id)


def _prefix(code: str) -> str:
    # GB/T 2260: 330000 the province, 330100 the city, 330102 the district (chassis.principal)
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
