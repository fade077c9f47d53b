"""Service minimums (001 §四(三)3): the calculator over a posted month, and the live view of a
bed or a provider from the daily rollups."""

from __future__ import annotations

from collections.abc import Sequence

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import NotFound, Unprocessable
from chassis.principal import Role
from service_records.domain.minimums import (
    BedFacts,
    MinimumsResult,
    Suspension,
    VisitFact,
    evaluate_month,
    evaluate_rollups,
    evaluation_window,
    month_bounds,
)
from service_records.policies.loader import load_profile
from service_records.repository import RollupRepository, RosterRepository
from service_records.schemas.minimums import (
    BedMinimumsRead,
    MinimumsCheck,
    MinimumsCheckRead,
    ViolationRead,
)
from service_records.service.access import scope_for
from service_records.service.rollups import as_day_rollup
from service_records.service.roster import bed_facts
from service_records.tables import RosterBedRow

CHECKERS = (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER, Role.OPS)
VIEWERS = (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER, Role.ELDER, Role.FAMILY)


def parse_period(period: str, field: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in period.split("-"))
        month_bounds(year, month)
    except ValueError:
        raise Unprocessable.field(field, "period is YYYY-MM") from None
    return year, month


def check_minimums(*, ctx: RequestContext, cmd: MinimumsCheck) -> MinimumsCheckRead:
    """Judge a posted month against a jurisdiction's minimums (no data is read or stored)."""
    require_role(ctx.principal, *CHECKERS)
    year, month = parse_period(cmd.period, "body.period")
    for index, visit in enumerate(cmd.visits):
        if visit.end < visit.start:
            raise Unprocessable.field(f"body.visits.{index}.end", "end is before start")
    profile = load_profile(cmd.jurisdiction)
    bed = BedFacts(
        established_on=cmd.bed.established_on,
        suspensions=tuple(Suspension(start=s.from_, end=s.to) for s in cmd.bed.suspensions),
        ended_on=cmd.bed.ended_on,
    )
    result = evaluate_month(
        profile.minimums,
        caregiver_present_required=profile.caregiver_present_required,
        year=year,
        month=month,
        bed=bed,
        visits=[
            VisitFact(
                start=v.start,
                end=v.end,
                worker_role=v.worker_role.value,
                mode=v.mode.value,
                caregiver_present=v.caregiver_present,
            )
            for v in cmd.visits
        ],
    )
    return result_read(result)


async def bed_minimums(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, period: str
) -> BedMinimumsRead:
    """The live view of one bed's month, from its daily rollups (as of today in this month)."""
    async with uow:
        require_role(ctx.principal, *VIEWERS)
        roster = uow.repo(RosterRepository)
        bed = await roster.visible(bed_id, await scope_for(uow, ctx.principal))
        if bed is None:
            raise NotFound("Bed")
        return await _bed_view(uow, ctx, bed, period)


async def provider_minimums(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str, period: str
) -> list[BedMinimumsRead]:
    """Every visible bed of a provider, judged for the month."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
        if ctx.principal.role is Role.PROVIDER_ADMIN and ctx.principal.provider_id != provider_id:
            raise NotFound("Provider")
        rows, _ = await uow.repo(RosterRepository).find(
            await scope_for(uow, ctx.principal), status=None, limit=10_000, offset=0
        )
        return [
            await _bed_view(uow, ctx, bed, period)
            for bed in rows
            if bed.provider_id == provider_id and bed.established_on is not None
        ]


async def _bed_view(
    uow: UnitOfWork, ctx: RequestContext, bed: RosterBedRow, period: str
) -> BedMinimumsRead:
    year, month = parse_period(period, "query.period")
    facts = bed_facts(bed, await uow.repo(RosterRepository).suspensions(bed.bed_id))
    profile = load_profile(bed.jurisdiction)
    first, last = month_bounds(year, month)
    as_of = ctx.today if first <= ctx.today <= last else None
    rollups = uow.repo(RollupRepository)
    if facts is None:
        result = MinimumsResult(False, True, 0, 0, ())
    else:
        window_start, window_end = evaluation_window(year, month, facts, profile.minimums)
        days = await rollups.between(first=window_start, last=window_end, bed_id=bed.bed_id)
        result = evaluate_rollups(
            profile.minimums,
            caregiver_present_required=profile.caregiver_present_required,
            year=year,
            month=month,
            bed=facts,
            days=[as_day_rollup(d) for d in days],
            as_of=as_of,
        )
    raised = await rollups.breaches(period=period, bed_id=bed.bed_id)
    base = result_read(result)
    return BedMinimumsRead(
        **base.model_dump(by_alias=False),
        bed_id=bed.bed_id,
        period=period,
        as_of=as_of,
        breaches_raised=len(raised),
    )


def result_read(result: MinimumsResult) -> MinimumsCheckRead:
    return MinimumsCheckRead(
        applies=result.applies,
        compliant=result.compliant,
        service_seconds=result.service_seconds,
        required_seconds=result.required_seconds,
        violations=_violations(result),
    )


def _violations(result: MinimumsResult) -> list[ViolationRead]:
    found: Sequence[ViolationRead] = [
        ViolationRead(rule=v.rule, day=v.date, from_=v.from_, to=v.to, visit_index=v.visit_index)
        for v in result.violations
    ]
    return list(found)
