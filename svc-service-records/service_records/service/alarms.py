"""Alarm events of `iot.alarms.v1`: each goes into the bed's archive; `alarm.resolved` also
sends the after-alarm satisfaction survey. Alarms of beds not on the roster are ignored."""

from __future__ import annotations

import logging

from chassis.db import UnitOfWork
from service_records.repository import RosterRepository
from service_records.schemas.inbound import AlarmNotice
from service_records.service.archive import record_alarm
from service_records.service.surveys import alarm_resolved

logger = logging.getLogger(__name__)


async def on_alarm_event(*, uow: UnitOfWork, type_: str, alarm: AlarmNotice) -> None:
    """Archive the alarm event; survey after a resolution. Never commits."""
    bed = await uow.repo(RosterRepository).get(alarm.bed_id)
    if bed is None:
        logger.info("alarm of a bed not on the roster", extra={"bed_id": alarm.bed_id})
        return
    await record_alarm(uow, bed, type_, alarm)
    if type_ == "alarm.resolved":
        await alarm_resolved(uow=uow, bed=bed, alarm=alarm)
