"""The daily close: every day that ended (Shanghai) is judged once per bed under minimums.

A day without a verified on-site visit raises `minimum.breached` (daily_visit) and a metric; the
last day of a month also judges the month (hours, medic periods, caregiver presence). Each
breach is raised once (`breaches`), so the job may run as often as it likes.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from chassis.clock import Clock, shanghai_date
from chassis.db import UnitOfWork, UnitOfWorkFactory
from homebed_schemas.events.records import MinimumBreached, MinimumRule
from service_records.domain.minimums import evaluate_rollups, evaluation_window, month_bounds
from service_records.metrics import BREACHES, MISSED_DAYS
from service_records.policies.loader import load_profile
from service_records.repository import RollupRepository, RosterRepository
from service_records.service.events import VISITS_TOPIC
from service_records.service.rollups import as_day_rollup
from service_records.service.roster import bed_facts
from service_records.tables import BreachRow, RosterBedRow

logger = logging.getLogger(__name__)
MAX_DAYS_PER_RUN = 62


async def close_days(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Judge every closed, unjudged day of every bed; returns the breaches raised."""
    now = clock()
    yesterday = shanghai_date(now) - timedelta(days=1)
    raised = 0
    uow = uow_factory()
    async with uow:
        beds = await uow.repo(RosterRepository).in_service_for_close()
        for bed in beds:
            raised += await _close_bed(uow, bed, yesterday, now)
        await uow.commit()
    return raised


async def _close_bed(uow: UnitOfWork, bed: RosterBedRow, yesterday: date, now: datetime) -> int:
    assert bed.established_on is not None
    profile = load_profile(bed.jurisdiction)
    if profile.minimums is None:
        return 0
    facts = bed_facts(bed, await uow.repo(RosterRepository).suspensions(bed.bed_id))
    assert facts is not None
    start = (bed.closed_through or bed.established_on - timedelta(days=1)) + timedelta(days=1)
    last = yesterday if bed.ended_on is None else min(yesterday, bed.ended_on)
    if bed.status == "suspended" and bed.suspended_on is not None:
        last = min(last, bed.suspended_on - timedelta(days=1))  # its end is not known yet
    last = min(last, start + timedelta(days=MAX_DAYS_PER_RUN - 1))
    rollups = uow.repo(RollupRepository)
    raised = 0
    day = start
    while day <= last:
        if facts.is_active(day):
            row = await rollups.day(bed.bed_id, day)
            if (row.on_site_visits if row else 0) < profile.minimums.daily_onsite_visits:
                MISSED_DAYS.labels(provider_id=bed.provider_id).inc()
                raised += await _raise(
                    uow, bed, MinimumRule.DAILY_VISIT, day.isoformat(), now, day=day
                )
        if day == month_bounds(day.year, day.month)[1] or day == bed.ended_on:
            raised += await _close_month(uow, bed, day, now)
        day += timedelta(days=1)
    if last >= start:
        bed.closed_through = last
    return raised


async def _close_month(uow: UnitOfWork, bed: RosterBedRow, day: date, now: datetime) -> int:
    profile = load_profile(bed.jurisdiction)
    facts = bed_facts(bed, await uow.repo(RosterRepository).suspensions(bed.bed_id))
    assert facts is not None
    window_start, window_end = evaluation_window(day.year, day.month, facts, profile.minimums)
    days = await uow.repo(RollupRepository).between(
        first=window_start, last=window_end, bed_id=bed.bed_id
    )
    result = evaluate_rollups(
        profile.minimums,
        caregiver_present_required=profile.caregiver_present_required,
        year=day.year,
        month=day.month,
        bed=facts,
        days=[as_day_rollup(d) for d in days],
    )
    raised = 0
    for v in result.violations:
        if v.rule == MinimumRule.DAILY_VISIT.value:
            continue  # raised day by day
        marker = f"{day:%Y-%m}:{v.from_ or v.date or ''}"
        raised += await _raise(
            uow,
            bed,
            MinimumRule(v.rule),
            marker,
            now,
            period=f"{day:%Y-%m}",
            day=v.date,
            window=(v.from_, v.to),
            seconds=(result.service_seconds, result.required_seconds),
        )
    return raised


async def _raise(
    uow: UnitOfWork,
    bed: RosterBedRow,
    rule: MinimumRule,
    marker: str,
    now: datetime,
    *,
    period: str | None = None,
    day: date | None = None,
    window: tuple[date | None, date | None] = (None, None),
    seconds: tuple[int, int] | None = None,
) -> int:
    rollups = uow.repo(RollupRepository)
    if await rollups.breach_raised(bed.bed_id, rule.value, marker):
        return 0
    period = period or f"{day:%Y-%m}"
    rollups.add_breach(
        BreachRow(
            bed_id=bed.bed_id,
            provider_id=bed.provider_id,
            rule=rule.value,
            period=period,
            marker=marker,
            raised_at=now,
        )
    )
    monthly = rule is MinimumRule.MONTHLY_HOURS and seconds is not None
    await uow.emit(
        topic=VISITS_TOPIC,
        key=bed.bed_id,
        type_="minimum.breached",
        subject=bed.bed_id,
        data=MinimumBreached(
            bed_id=bed.bed_id,
            provider_id=bed.provider_id,
            elder_id=bed.elder_id,
            jurisdiction=bed.jurisdiction,
            rule=rule,
            period=period,
            day=day,
            window_start=window[0],
            window_end=window[1],
            service_seconds=seconds[0] if monthly and seconds else None,
            required_seconds=seconds[1] if monthly and seconds else None,
            occurred_at=now,
        ),
    )
    BREACHES.labels(rule=rule.value).inc()
    logger.warning("minimum breached", extra={"bed_id": bed.bed_id, "rule": rule.value})
    return 1
