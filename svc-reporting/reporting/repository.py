"""Queries of svc-reporting. Repositories add and read; they never commit (the use case does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.delivery import OPEN_STATUSES, BatchKind, BatchStatus
from reporting.tables import (
    ProviderProfileRow,
    ReportBatchRow,
    SupervisedAlarmRow,
    SupervisedBedRow,
    SupervisedBreachRow,
    SupervisedSurveyRow,
)


class BatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def get(self, batch_id: str) -> ReportBatchRow | None:
        return await self.session.get(ReportBatchRow, batch_id)

    async def original(self, provider_id: str, day: date) -> ReportBatchRow | None:
        return await self.session.scalar(
            select(ReportBatchRow).where(
                ReportBatchRow.provider_id == provider_id,
                ReportBatchRow.report_date == day,
                ReportBatchRow.kind == BatchKind.ORIGINAL,
            )
        )

    async def waiting_correction(self, provider_id: str, day: date) -> ReportBatchRow | None:
        """A correction of the day the platform has not taken yet (pending or failed): it is
        assembled again at its next attempt, so it carries any later change too."""
        return await self.session.scalar(
            select(ReportBatchRow)
            .where(
                ReportBatchRow.provider_id == provider_id,
                ReportBatchRow.report_date == day,
                ReportBatchRow.kind == BatchKind.CORRECTION,
                ReportBatchRow.status.in_([BatchStatus.PENDING.value, BatchStatus.FAILED.value]),
            )
            .limit(1)
        )

    async def late_unannounced(self, last_late_day: date) -> Sequence[ReportBatchRow]:
        """Unacknowledged original batches of days up to `last_late_day`, not announced late."""
        return (
            await self.session.scalars(
                select(ReportBatchRow)
                .where(
                    ReportBatchRow.kind == BatchKind.ORIGINAL,
                    ReportBatchRow.status.in_([s.value for s in OPEN_STATUSES]),
                    ReportBatchRow.report_date <= last_late_day,
                    ReportBatchRow.late_announced_at.is_(None),
                )
                .order_by(ReportBatchRow.provider_id, ReportBatchRow.report_date)
            )
        ).all()

    async def due(self, now: datetime) -> Sequence[ReportBatchRow]:
        """Open batches whose next attempt is due, per provider in date order."""
        return (
            await self.session.scalars(
                select(ReportBatchRow)
                .where(ReportBatchRow.status.in_([s.value for s in OPEN_STATUSES]))
                .order_by(
                    ReportBatchRow.provider_id,
                    ReportBatchRow.report_date,
                    ReportBatchRow.created_at,
                )
            )
        ).all()

    async def listed(
        self, provider_id: str | None, first: date | None, last: date | None
    ) -> Sequence[ReportBatchRow]:
        query = select(ReportBatchRow)
        if provider_id:
            query = query.where(ReportBatchRow.provider_id == provider_id)
        if first:
            query = query.where(ReportBatchRow.report_date >= first)
        if last:
            query = query.where(ReportBatchRow.report_date <= last)
        order = (ReportBatchRow.provider_id, ReportBatchRow.report_date, ReportBatchRow.created_at)
        return (await self.session.scalars(query.order_by(*order))).all()


class ProviderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def profile(self, provider_id: str) -> ProviderProfileRow | None:
        return await self.session.get(ProviderProfileRow, provider_id)

    async def first_bed_days(self) -> dict[str, date]:
        """Each provider with beds, and the day its first bed was established (reports start)."""
        rows = await self.session.execute(
            select(SupervisedBedRow.provider_id, func.min(SupervisedBedRow.established_on))
            .where(SupervisedBedRow.established_on.is_not(None))
            .group_by(SupervisedBedRow.provider_id)
        )
        return {provider: first for provider, first in rows.all() if first is not None}


class SupervisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def bed(self, bed_id: str) -> SupervisedBedRow | None:
        return await self.session.get(SupervisedBedRow, bed_id)

    async def alarm(self, alarm_id: str) -> SupervisedAlarmRow | None:
        return await self.session.get(SupervisedAlarmRow, alarm_id)

    async def survey(self, survey_id: str) -> SupervisedSurveyRow | None:
        return await self.session.get(SupervisedSurveyRow, survey_id)

    async def breach_seen(self, event_id: str) -> bool:
        found = await self.session.scalar(
            select(SupervisedBreachRow.id).where(SupervisedBreachRow.event_id == event_id)
        )
        return found is not None

    async def beds(self) -> Sequence[SupervisedBedRow]:
        return (await self.session.scalars(select(SupervisedBedRow))).all()

    async def breaches(self, since: datetime, until: datetime) -> Sequence[SupervisedBreachRow]:
        query = select(SupervisedBreachRow).where(
            SupervisedBreachRow.occurred_at >= since, SupervisedBreachRow.occurred_at < until
        )
        return (await self.session.scalars(query)).all()

    async def alarms(self, since: datetime, until: datetime) -> Sequence[SupervisedAlarmRow]:
        query = select(SupervisedAlarmRow).where(
            SupervisedAlarmRow.raised_at >= since, SupervisedAlarmRow.raised_at < until
        )
        return (await self.session.scalars(query)).all()

    async def surveys(self, since: datetime, until: datetime) -> Sequence[SupervisedSurveyRow]:
        query = select(SupervisedSurveyRow).where(
            SupervisedSurveyRow.occurred_at >= since, SupervisedSurveyRow.occurred_at < until
        )
        return (await self.session.scalars(query)).all()
