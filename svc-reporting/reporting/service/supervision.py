"""The supervising officer's view (000 §三(六), 002 §七(一)2, 001 §五(四), 001 §四(三)2): per
region and provider, active beds, report completeness and timeliness, service-minimum breaches,
alarms and the 15-minute rule, satisfaction, open exceptions. Read-only; an officer sees only the
rows of their regions, ops see all."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from chassis.principal import Role
from reporting.domain.delivery import (
    SHANGHAI,
    BatchKind,
    BatchStatus,
    deadline,
    displayed_status,
    on_time,
)
from reporting.domain.supervision import rate, within_region
from reporting.repository import BatchRepository, SupervisionRepository
from reporting.schemas import SupervisionRead, SupervisionRow

MAX_DAYS = 366


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


async def supervision(
    *, uow: UnitOfWork, ctx: RequestContext, first: date, last: date, region_code: str | None
) -> SupervisionRead:
    """One row per (county region, provider) with beds in the officer's regions."""
    async with uow:
        require_role(ctx.principal, Role.OFFICER, Role.OPS)
        if last < first or (last - first).days >= MAX_DAYS:
            raise Unprocessable([("last", "a range of 1 to 366 days, last not before first")])
        repo = uow.repo(SupervisionRepository)
        since, until = _start(first), _start(last + timedelta(days=1))
        beds = [
            b
            for b in await repo.beds()
            if (ctx.principal.role is Role.OPS or ctx.principal.in_region(b.region_code))
            and (region_code is None or within_region(b.region_code, region_code))
        ]
        key_of_bed = {b.bed_id: (b.region_code[:6], b.provider_id) for b in beds}
        rows: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for b in beds:
            stats = rows[key_of_bed[b.bed_id]]
            stats["beds"] += 0
            if (
                b.established_on
                and b.established_on <= last
                and (b.ended_on is None or b.ended_on > last)
            ):
                stats["active_beds"] += 1
        for breach in await repo.breaches(since, until):
            if breach.bed_id in key_of_bed:
                rows[key_of_bed[breach.bed_id]]["breaches"] += 1
        for alarm in await repo.alarms(since, until):
            if alarm.bed_id in key_of_bed:
                stats = rows[key_of_bed[alarm.bed_id]]
                stats["alarms"] += 1
                if alarm.arrived_at is not None and alarm.arrived_at <= alarm.arrival_deadline:
                    stats["alarms_ok"] += 1
        for survey in await repo.surveys(since, until):
            if survey.bed_id in key_of_bed:
                stats = rows[key_of_bed[survey.bed_id]]
                stats["survey_sum"] += survey.score
                stats["survey_n"] += 1
        reports = await _report_stats(uow, {p for _, p in rows}, first, last, ctx.now)
        answer = []
        for (region, provider), stats in sorted(rows.items()):
            expected, received, timely, open_ = reports.get(provider, (0, 0, 0, 0))
            n = int(stats["survey_n"])
            answer.append(
                SupervisionRow(
                    region_code=region,
                    provider_id=provider,
                    active_beds=int(stats["active_beds"]),
                    reports_expected=expected,
                    reports_received=received,
                    reports_on_time=timely,
                    completeness=rate(received, expected),
                    timeliness=rate(timely, expected),
                    minimum_breaches=int(stats["breaches"]),
                    alarms=int(stats["alarms"]),
                    alarms_within_15_min=int(stats["alarms_ok"]),
                    alarm_compliance=rate(int(stats["alarms_ok"]), int(stats["alarms"])),
                    satisfaction_average=round(stats["survey_sum"] / n, 2) if n else None,
                    satisfaction_answers=n,
                    open_exceptions=open_,
                )
            )
        return SupervisionRead(first=first, last=last, rows=answer)


async def _report_stats(
    uow: UnitOfWork, providers: set[str], first: date, last: date, now: datetime
) -> dict[str, tuple[int, int, int, int]]:
    """Per provider: expected (original batches of days already due), received, on time, open."""
    stats: dict[str, tuple[int, int, int, int]] = {}
    batches = uow.repo(BatchRepository)
    for provider in providers:
        expected = received = timely = open_ = 0
        for b in await batches.listed(provider, first, last):
            if b.kind != BatchKind.ORIGINAL:
                continue
            expected += 1
            if b.status == BatchStatus.ACKNOWLEDGED:
                received += 1
                timely += int(on_time(b.report_date, b.acknowledged_at))
            elif b.status == BatchStatus.FAILED or now >= deadline(b.report_date):
                open_ += int(displayed_status(b.status, b.report_date, now) in ("late", "failed"))
        stats[provider] = (expected, received, timely, open_)
    return stats


def as_csv(read: SupervisionRead) -> str:
    out = io.StringIO()
    fields = list(SupervisionRow.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in read.rows:
        writer.writerow(row.model_dump())
    return out.getvalue()
