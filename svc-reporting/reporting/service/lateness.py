"""A day's report the city platform has not acknowledged by 24:00 of T+1 (000 §三(二) "T+1") is
announced once on `reporting.city_reports.v1` (`city_report.late`), through the outbox in the
transaction that marks it announced; svc-notify tells the provider's duty manager. The push
keeps retrying the day as before: the announcement changes nothing in the delivery."""

from __future__ import annotations

from datetime import datetime, timedelta

from chassis.db import UnitOfWork
from homebed_schemas.events.reporting import CityReportLate
from homebed_schemas.topics import REPORTING_CITY_REPORTS
from reporting.domain.delivery import SHANGHAI, deadline, displayed_status
from reporting.repository import BatchRepository

LATE = "city_report.late"


async def announce_late(*, uow: UnitOfWork, now: datetime) -> int:
    """Emit `city_report.late` for each original batch late and not announced yet."""
    # late means now >= 24:00 of T+1, i.e. the day is at least two days before today (Shanghai)
    last_late_day = now.astimezone(SHANGHAI).date() - timedelta(days=2)
    announced = 0
    async with uow:
        for batch in await uow.repo(BatchRepository).late_unannounced(last_late_day):
            if displayed_status(batch.status, batch.report_date, now) != "late":
                continue
            payload = CityReportLate(
                provider_id=batch.provider_id,
                report_date=batch.report_date,
                batch_id=batch.batch_id,
                deadline=deadline(batch.report_date),
                status=batch.status,  # pending, sent or failed here
                attempts=batch.attempts,
                last_error=batch.last_error,
                occurred_at=now,
            )
            await uow.emit(
                topic=REPORTING_CITY_REPORTS.name,
                key=batch.provider_id,
                type_=LATE,
                subject=batch.batch_id,
                data=payload,
                time=now,
            )
            batch.late_announced_at = now
            announced += 1
        await uow.commit()
    return announced
