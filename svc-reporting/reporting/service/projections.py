"""The supervision read model, fed from Kafka: beds (intake.beds.v1), service-minimum breaches and
surveys (records.visits.v1), alarms and their 15-minute rule (iot.alarms.v1). Handlers never
commit (the consumer runner does, with the dedupe row)."""

from __future__ import annotations

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import BedEvent
from homebed_schemas.events.iot import AlarmEvent
from homebed_schemas.events.records import MinimumBreached, SurveyEvent
from reporting.repository import SupervisionRepository
from reporting.tables import (
    SupervisedAlarmRow,
    SupervisedBedRow,
    SupervisedBreachRow,
    SupervisedSurveyRow,
)

ENDED = ("terminated", "transferred")


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
    row.ended_on = event.event_date if event.status in ENDED else None
    row.updated_at = event.occurred_at


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
