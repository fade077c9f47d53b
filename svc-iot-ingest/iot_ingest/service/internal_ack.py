"""Acknowledging an alarm on behalf of a person, for svc-notify (issue 16): the person replied
to an SMS with the alarm's code. iot-ingest stays the owner of alarm state: the change goes
through the same lifecycle (`Alarm.acknowledge`) and publishes the same `alarm.acknowledged`
as an acknowledgement from the app, with the person as actor."""

from __future__ import annotations

from pydantic import Field

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Input, Output
from chassis.errors import Forbidden, NotFound
from chassis.principal import Role
from chassis.write_lock import serialized_writes
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.service.alarm_changes import observe_metrics, record_changes

SCOPE = "alarm_ack"


class InternalAcknowledge(Input):
    by: str = Field(min_length=1, max_length=128, description="the person acknowledging")


class InternalAcknowledged(Output):
    alarm_id: str
    status: str
    acknowledged_by: str | None


async def acknowledge_for(
    *, uow: UnitOfWork, ctx: RequestContext, alarm_id: str, cmd: InternalAcknowledge
) -> InternalAcknowledged:
    """The service principal (ops + `alarm_ack`) acknowledges for `cmd.by`; 409 when the alarm
    is past acknowledgement (someone else was first), 404 when there is no such alarm."""
    require_role(ctx.principal, Role.OPS)
    if not ctx.principal.has_scope(SCOPE):
        raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await uow.repo(AlarmRepository).get(alarm_id, lock=True)
        if alarm is None:
            raise NotFound("Alarm")
        alarm.acknowledge(by=cmd.by, at=ctx.now)
        changes = await record_changes(uow, alarm)
        await uow.commit()
        observe_metrics(alarm, changes)
        return InternalAcknowledged(
            alarm_id=alarm.alarm_id, status=alarm.status.value, acknowledged_by=cmd.by
        )
