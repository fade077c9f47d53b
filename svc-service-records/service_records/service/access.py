"""Who may see what (architecture.md, "Identity and access").

Caregivers see the beds assigned to them and the visits they made; provider admins their
provider's; officers their regions (read-only); elders and family their own bed, matched by the
applicant's login subject (`BedEvent.applicant_sub`, stored as `roster_beds.elder_sub`).
Anything not visible answers 404 like a missing object; visible but not allowed answers 403.
"""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.errors import Forbidden, NotFound
from chassis.principal import Principal, Role
from service_records.repository import RosterRepository, Scope, WorkerRepository
from service_records.tables import RosterBedRow, WorkerRow

STAFF = (Role.PROVIDER_ADMIN, Role.CAREGIVER)
READERS = (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER, Role.ELDER, Role.FAMILY)
NOTHING = Scope(nothing=True)


async def scope_for(uow: UnitOfWork, principal: Principal) -> Scope:
    """The rows `principal` may see, as a repository filter."""
    role = principal.role
    if role is Role.PROVIDER_ADMIN:
        return Scope(provider_id=principal.provider_id) if principal.provider_id else NOTHING
    if role is Role.CAREGIVER:
        worker = await linked_worker(uow, principal)
        if worker is None:
            return NOTHING
        return Scope(provider_id=worker.provider_id, worker_id=worker.id)
    if role is Role.OFFICER:
        return Scope(region_prefixes=tuple(region_prefix(c) for c in principal.region_codes))
    if role in (Role.ELDER, Role.FAMILY):
        return Scope(elder_sub=principal.sub)
    return NOTHING


async def visible_bed(uow: UnitOfWork, principal: Principal, bed_id: str) -> RosterBedRow:
    """The bed if `principal` may see it; NotFound otherwise (exactly like a missing bed)."""
    bed = await uow.repo(RosterRepository).visible(bed_id, await scope_for(uow, principal))
    if bed is None:
        raise NotFound("Bed")
    return bed


async def linked_worker(uow: UnitOfWork, principal: Principal) -> WorkerRow | None:
    """The active worker record behind a caregiver's token (`user_sub` = principal.sub)."""
    worker = await uow.repo(WorkerRepository).by_sub(principal.sub)
    if worker is None or not worker.active:
        return None
    if principal.provider_id is not None and worker.provider_id != principal.provider_id:
        return None
    return worker


async def acting_worker(uow: UnitOfWork, principal: Principal) -> WorkerRow:
    """The caller's own worker record, or 403 saying the account is not linked."""
    worker = await linked_worker(uow, principal)
    if worker is None:
        raise Forbidden(
            "no active care-worker record is linked to this account (workers.user_sub)",
            required_roles=[Role.CAREGIVER.value],
        )
    return worker


def admin_provider(principal: Principal) -> str:
    """The provider a provider admin acts for; 403 when the token names none."""
    if principal.provider_id is None:
        raise Forbidden("the provider admin's token names no provider")
    return principal.provider_id


def region_prefix(code: str) -> str:
    """The SQL prefix of a GB/T 2260 code, as `Principal.in_region` matches it (330100 → 3301)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
