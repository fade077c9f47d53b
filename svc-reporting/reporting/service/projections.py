"""The supervision read model, fed from Kafka: beds (intake.beds.v1), service-minimum breaches and
surveys (records.visits.v1), alarms and their 15-minute rule (iot.alarms.v1); and the corrections
a late change to an already pushed day calls for (a visit verified, corrected or voided after the
push, a 撤床 recorded late). Handlers never commit (the consumer runner does, with the dedupe
row)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import BedEvent
from homebed_schemas.events.iot import AlarmEvent
from homebed_schemas.events.records import MinimumBreached, SurveyEvent, VisitEvent
from reporting.domain.delivery import SHANGHAI, BatchKind, BatchStatus
from reporting.repository import BatchRepository, SupervisionRepository
from reporting.service.delivery import correction_batch_id, new_batch
from reporting.tables import (
    SupervisedAlarmRow,
    SupervisedBedRow,
    SupervisedBreachRow,
    SupervisedSurveyRow,
)

ENDED = ("terminated", "transferred")
TAKEN = (BatchStatus.SENT.value, BatchStatus.ACKNOWLEDGED.value)
MAX_LATE_DAYS = 31


async def day_changed(*, uow: UnitOfWork, provider_id: str, day: date, at: datetime) -> bool:
    """A change to a report day the platform already took (a visit verified, corrected or voided
    after the push; a 撤床 recorded late): that day goes again as a correction referencing its
    original. A day not yet taken needs nothing: it is assembled afresh at each attempt."""
    batches = uow.repo(BatchRepository)
    original = await batches.original(provider_id, day)
    if original is None or original.status not in TAKEN:
        return False
    if await batches.waiting_correction(provider_id, day) is not None:
        return False
    # handlers have the event's time, not the reporter's clock: never before the original's last
    # attempt, so the correction lists and goes after what it corrects
    at = max(at, original.updated_at)
    batches.add(
        new_batch(
            provider_id=provider_id,
            day=day,
            kind=BatchKind.CORRECTION,
            now=at,
            batch_id=correction_batch_id(),
            corrects=original.batch_id,
        )
    )
    return True


async def visit_changed(*, uow: UnitOfWork, event: VisitEvent) -> None:
    """visit.verified / corrected / voided: the visit's day is corrected if it was already sent."""
    await day_changed(
        uow=uow, provider_id=event.provider_id, day=event.service_date, at=event.occurred_at
    )


async def bed_changed(*, uow: UnitOfWork, event: BedEvent) -> None:
    """Latest state of a bed (events may arrive again or late: the newest wins)."""
    repo = uow.repo(SupervisionRepository)
    row = await repo.bed(event.bed_id)
    if row is not None and row.updated_at > event.occurred_at:
        return
    if row is None:
        row = SupervisedBedRow(bed_id=event.bed_id, updated_at=event.occurred_at)
        repo.add(row)
    row.provider_id = event.provider_id
    row.region_code = event.region_code
    row.status = event.status
    row.established_on = event.established_on
    ended = event.status in ENDED
    # the same end announced again keeps the time it was first recorded (the update's start)
    same_end = ended and row.ended_on == event.event_date and row.end_recorded_at is not None
    row.end_recorded_at = (
        row.end_recorded_at if same_end else (event.occurred_at if ended else None)
    )
    row.ended_on = event.event_date if ended else None
    row.update_deadline = event.update_deadline if ended else None
    row.updated_at = event.occurred_at
    if event.status in ENDED and event.event_date is not None:
        await _ended_late(uow, event, event.event_date)


async def _ended_late(uow: UnitOfWork, event: BedEvent, ended_on: date) -> None:
    """A 撤床 recorded after its day was pushed (intake allows recording it days later): the day
    of the 撤床 and the days after it already sent (the bed counted as operating) are corrected."""
    recorded = event.occurred_at.astimezone(SHANGHAI).date()
    day = max(ended_on, recorded - timedelta(days=MAX_LATE_DAYS))
    while day <= recorded:
        await day_changed(uow=uow, provider_id=event.provider_id, day=day, at=event.occurred_at)
        day += timedelta(days=1)


async def minimum_breached(*, uow: UnitOfWork, event_id: str, event: MinimumBreached) -> None:
    repo = uow.repo(SupervisionRepository)
    if await repo.breach_seen(event_id):
        return
    repo.add(
        SupervisedBreachRow(
            event_id=event_id,
            bed_id=event.bed_id,
            provider_id=event.provider_id,
            rule=event.rule.value,
            occurred_at=event.occurred_at,
        )
    )


async def survey_answered(*, uow: UnitOfWork, event: SurveyEvent) -> None:
    repo = uow.repo(SupervisionRepository)
    if await repo.survey(event.survey_id) is None:
        repo.add(
            SupervisedSurveyRow(
                survey_id=event.survey_id,
                bed_id=event.bed_id,
                provider_id=event.provider_id,
                score=event.score,
                occurred_at=event.occurred_at,
            )
        )


async def alarm_changed(*, uow: UnitOfWork, event_type: str, event: AlarmEvent) -> None:
    """raised opens the alarm; arrived stamps the arrival; sla_breached marks the 15-minute miss."""
    repo = uow.repo(SupervisionRepository)
    row = await repo.alarm(event.alarm_id)
    if row is None:
        row = SupervisedAlarmRow(
            alarm_id=event.alarm_id,
            bed_id=event.bed_id,
            provider_id=event.provider_id,
            raised_at=event.raised_at,
            arrival_deadline=event.arrival_deadline,
            sla_breached=False,
        )
        repo.add(row)
    if event_type == "alarm.arrived" and row.arrived_at is None:
        row.arrived_at = event.occurred_at
    if event_type == "alarm.sla_breached" or event.sla_breached:
        row.sla_breached = True
