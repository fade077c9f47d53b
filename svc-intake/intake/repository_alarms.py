"""The bed alarm projection (`bed_alarms`): read and keep snapshots; never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.domain.bed_alarms import BedAlarm
from intake.tables import BedAlarmRow


def _alarm(row: BedAlarmRow) -> BedAlarm:
    return BedAlarm(
        alarm_id=row.alarm_id,
        bed_id=row.bed_id,
        provider_id=row.provider_id,
        status=row.status,
        assignee=row.assignee,
        updated_at=row.updated_at,
    )


class BedAlarmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, alarm_id: str) -> BedAlarm | None:
        row = await self.session.get(BedAlarmRow, alarm_id)
        return None if row is None else _alarm(row)

    async def keep(self, alarm: BedAlarm) -> None:
        row = await self.session.get(BedAlarmRow, alarm.alarm_id)
        if row is None:
            row = BedAlarmRow(alarm_id=alarm.alarm_id)
            self.session.add(row)
        row.bed_id, row.provider_id = alarm.bed_id, alarm.provider_id
        row.status, row.assignee = alarm.status, alarm.assignee
        row.is_open, row.updated_at = alarm.open, alarm.updated_at

    async def open_of_bed(self, bed_id: str) -> list[BedAlarm]:
        rows = await self.session.scalars(
            select(BedAlarmRow).where(BedAlarmRow.bed_id == bed_id, BedAlarmRow.is_open)
        )
        return [_alarm(row) for row in rows]
