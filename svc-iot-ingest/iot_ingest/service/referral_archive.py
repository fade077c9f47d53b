"""Internal read for svc-referral's archive package (000 §三(五) "床随人走"): a bed's recent vital
signs (latest value and daily summaries per metric) and its recent alarms. Only the service
principal (role ops, scope `referral_archive`) may call it; svc-referral asks only for what the
elder's consent covers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Output
from chassis.errors import Forbidden
from chassis.principal import Role
from iot_ingest.tables import alarms, latest_values, minute_aggregates

SCOPE = "referral_archive"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class LatestVital(Output):
    metric: str
    value: float
    at: datetime


class DailyVital(Output):
    metric: str
    day: date  # UTC day of the minute aggregates
    count: int
    minimum: float
    maximum: float
    mean: float


class ArchiveAlarm(Output):
    alarm_id: str
    alarm_type: str
    severity: str
    status: str
    raised_at: datetime
    resolved_at: datetime | None
    outcome: str | None


class ReferralArchiveIot(Output):
    bed_id: str
    since: datetime
    latest_vitals: list[LatestVital] | None
    daily_vitals: list[DailyVital] | None
    alarms: list[ArchiveAlarm] | None


async def referral_archive(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, vitals: bool, with_alarms: bool, days: int
) -> ReferralArchiveIot:
    require_role(ctx.principal, Role.OPS)
    if not ctx.principal.has_scope(SCOPE):
        raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
    since = ctx.now - timedelta(days=days)
    async with uow:
        session = uow.session
        latest = daily = found_alarms = None
        if vitals:
            rows = await session.execute(
                select(latest_values.c.metric, latest_values.c.value, latest_values.c.ts)
                .where(latest_values.c.bed_id == bed_id)
                .order_by(latest_values.c.metric)
            )
            latest = [LatestVital(metric=m, value=v, at=t) for m, v, t in rows.all()]
            aggregated = await session.execute(
                select(
                    minute_aggregates.c.metric,
                    minute_aggregates.c.minute,
                    minute_aggregates.c.count,
                    minute_aggregates.c.total,
                    minute_aggregates.c.minimum,
                    minute_aggregates.c.maximum,
                )
                .where(minute_aggregates.c.bed_id == bed_id, minute_aggregates.c.minute >= since)
                .order_by(minute_aggregates.c.metric, minute_aggregates.c.minute)
            )
            daily = _by_day([tuple(r) for r in aggregated.all()])
        if with_alarms:
            rows = await session.execute(
                select(
                    alarms.c.alarm_id,
                    alarms.c.alarm_type,
                    alarms.c.severity,
                    alarms.c.status,
                    alarms.c.raised_at,
                    alarms.c.resolved_at,
                    alarms.c.outcome,
                )
                .where(alarms.c.bed_id == bed_id, alarms.c.raised_at >= since)
                .order_by(alarms.c.raised_at.desc())
                .limit(200)
            )
            found_alarms = [
                ArchiveAlarm(
                    alarm_id=row.alarm_id,
                    alarm_type=row.alarm_type,
                    severity=row.severity,
                    status=row.status,
                    raised_at=row.raised_at,
                    resolved_at=row.resolved_at,
                    outcome=row.outcome,
                )
                for row in rows.all()
            ]
        return ReferralArchiveIot(
            bed_id=bed_id,
            since=since,
            latest_vitals=latest,
            daily_vitals=daily,
            alarms=found_alarms,
        )


def _by_day(rows: list[tuple[Any, ...]]) -> list[DailyVital]:
    days: dict[tuple[str, date], list[float]] = {}
    for metric, minute, count, total, low, high in rows:
        key = (metric, minute.date())
        agg = days.setdefault(key, [0, 0.0, low, high])
        agg[0] += count
        agg[1] += total
        agg[2], agg[3] = min(agg[2], low), max(agg[3], high)
    return [
        DailyVital(
            metric=metric,
            day=day,
            count=int(n),
            minimum=low,
            maximum=high,
            mean=round(total / n, 2) if n else 0.0,
        )
        for (metric, day), (n, total, low, high) in sorted(days.items())
    ]
