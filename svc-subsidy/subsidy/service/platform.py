"""Recording that a provider's information platform passed acceptance (002 §八3): the source
of the platform subsidy, settled as a provider-level line in that month's settlement."""

from __future__ import annotations

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Unprocessable
from subsidy.domain.periods import Period
from subsidy.domain.settlement import SettlementStatus, settlement_id
from subsidy.policies.loader import load_profile
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import PlatformAcceptance, PlatformAcceptanceRead
from subsidy.service.access import require_officer_of
from subsidy.tables import PlatformAcceptanceRow


def _read(row: PlatformAcceptanceRow) -> PlatformAcceptanceRead:
    return PlatformAcceptanceRead(
        provider_id=row.provider_id,
        jurisdiction=row.jurisdiction,
        accepted_on=row.accepted_on,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        settles_in=str(Period.of(row.accepted_on)),
    )


async def record_platform_acceptance(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: PlatformAcceptance
) -> PlatformAcceptanceRead:
    """An officer of the jurisdiction records the acceptance, once per provider (同一家服务机构
    只能享受一次): the same record again returns it, another date or jurisdiction is a 409, and
    so is a month whose settlement is already past draft (its lines can no longer change)."""
    require_officer_of(ctx.principal, cmd.jurisdiction)
    if load_profile(cmd.jurisdiction).rule_of("platform") is None:
        raise Unprocessable([("jurisdiction", f"{cmd.jurisdiction} has no platform subsidy")])
    async with uow:
        facts = uow.repo(FactsRepository)
        existing = await facts.platform_acceptance(cmd.provider_id)
        if existing is not None:
            if (existing.jurisdiction, existing.accepted_on) != (cmd.jurisdiction, cmd.accepted_on):
                raise Conflict(
                    "the provider's platform acceptance is already recorded",
                    extra={"accepted_on": existing.accepted_on.isoformat()},
                )
            return _read(existing)
        month = str(Period.of(cmd.accepted_on))
        stl = await uow.repo(SettlementRepository).get(
            settlement_id(cmd.provider_id, cmd.jurisdiction, month)
        )
        if stl is not None and stl.status != SettlementStatus.DRAFT:
            raise Conflict(
                f"the {month} settlement is already {stl.status}: reject it back to draft first",
                extra={"settlement_id": stl.id},
            )
        row = PlatformAcceptanceRow(
            provider_id=cmd.provider_id,
            jurisdiction=cmd.jurisdiction,
            accepted_on=cmd.accepted_on,
            recorded_by=ctx.principal.sub,
            recorded_at=ctx.now,
        )
        facts.add(row)
        await uow.commit()
        return _read(row)
