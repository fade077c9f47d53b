"""Gathers the supervising officer's monthly picture (reporting.domain.officer_picture) from the
supervision read model: the supervision view's rows, plus the breaches by rule and the minutes to
arrival of each alarm. Same visibility as the view: an officer, their regions; ops, all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.principal import Role
from reporting.domain.officer_picture import (
    OfficerPicture,
    ProviderPicture,
    arrival_minutes,
)
from reporting.domain.supervision import within_region
from reporting.repository import SupervisionRepository
from reporting.service.supervision import _start, supervision


async def officer_picture(
    *,
    uow_factory: Callable[[], UnitOfWork],
    ctx: RequestContext,
    region_code: str,
    first: date,
    last: date,
) -> OfficerPicture:
    read = await supervision(
        uow=uow_factory(), ctx=ctx, first=first, last=last, region_code=region_code
    )
    providers = {
        (row.region_code, row.provider_id): ProviderPicture(
            provider_id=row.provider_id,
            region_code=row.region_code,
            active_beds=row.active_beds,
            alarms=row.alarms,
            alarms_on_time=row.alarms_within_15_min,
            satisfaction_average=row.satisfaction_average,
            satisfaction_answers=row.satisfaction_answers,
            reports_expected=row.reports_expected,
            reports_on_time=row.reports_on_time,
        )
        for row in read.rows
    }
    since, until = _start(first), _start(last + timedelta(days=1))
    minutes: list[float] = []
    never_reached = 0
    async with uow_factory() as uow:
        repo = uow.repo(SupervisionRepository)
        key_of_bed = {
            b.bed_id: (b.region_code[:6], b.provider_id)
            for b in await repo.beds()
            if (ctx.principal.role is Role.OPS or ctx.principal.in_region(b.region_code))
            and within_region(b.region_code, region_code)
        }
        for breach in await repo.breaches(since, until):
            key = key_of_bed.get(breach.bed_id)
            if key in providers:
                counts = providers[key].breaches
                counts[breach.rule] = counts.get(breach.rule, 0) + 1
        for alarm in await repo.alarms(since, until):
            if alarm.bed_id not in key_of_bed:
                continue
            if alarm.arrived_at is None:
                never_reached += 1
            else:
                minutes.append(
                    arrival_minutes(alarm.raised_at.timestamp(), alarm.arrived_at.timestamp())
                )
    return OfficerPicture(
        region_code=region_code,
        first=first,
        last=last,
        providers=sorted(providers.values(), key=lambda p: (p.region_code, p.provider_id)),
        arrival_minutes=sorted(minutes),
        alarms_never_reached=never_reached,
    )
