"""Recording that a provider's information platform passed acceptance (002 §八3): the source
of the platform subsidy, settled as a provider-level line in that month's settlement — or,
recorded after that month was closed, in the next open one as an adjustment."""

from __future__ import annotations

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Unprocessable
from subsidy.domain.periods import Period
from subsidy.domain.platform import platform_award
from subsidy.domain.provider_awards import next_open_period
from subsidy.policies.loader import load_profile
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import PlatformAcceptance, PlatformAcceptanceRead
from subsidy.service.access import require_officer_of
from subsidy.tables import PlatformAcceptanceRow


async def _read(uow: UnitOfWork, row: PlatformAcceptanceRow) -> PlatformAcceptanceRead:
    """The record, with where its subsidy settles: the month of the acceptance while that
    month's settlement is open, else the next open month as an adjustment (late fact), or the
    settlement that already holds it."""
    settlements = uow.repo(SettlementRepository)
    month = Period.of(row.accepted_on)
    statuses = (await settlements.statuses_of(row.jurisdiction, [row.provider_id])).get(
        row.provider_id, {}
    )
    claims = (await settlements.award_claims_of(row.jurisdiction, [row.provider_id])).get(
        row.provider_id, {}
    )
    holder = claims.get(platform_award(row.accepted_on).claim)
    holding = await settlements.get(holder) if holder else None
    settles_in = holding.period if holding else str(next_open_period(month, statuses))
    return PlatformAcceptanceRead(
        provider_id=row.provider_id,
        jurisdiction=row.jurisdiction,
        accepted_on=row.accepted_on,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        settles_in=settles_in,
        late=statuses.get(str(month), "draft") != "draft",
    )


async def record_platform_acceptance(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: PlatformAcceptance
) -> PlatformAcceptanceRead:
    """An officer of the jurisdiction records the acceptance, once per provider (同一家服务机构
    只能享受一次): the same record again returns it, another date or jurisdiction is a 409.
    Recorded after its month's settlement was submitted or approved, it is a late fact: it
    settles in the next open month as an adjustment, never as an edit (issue 14)."""
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
            return await _read(uow, existing)
        row = PlatformAcceptanceRow(
            provider_id=cmd.provider_id,
            jurisdiction=cmd.jurisdiction,
            accepted_on=cmd.accepted_on,
            recorded_by=ctx.principal.sub,
            recorded_at=ctx.now,
        )
        facts.add(row)
        answer = await _read(uow, row)
        await uow.commit()
        return answer
