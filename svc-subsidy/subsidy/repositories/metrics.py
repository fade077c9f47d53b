"""Aggregates behind the `homebed_subsidy_*` gauges: one GROUP BY each, nothing per row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.settlement import SettlementStatus
from subsidy.tables import SettlementLineRow, SettlementRow


class MetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settlement_counts(self) -> list[tuple[str, str, int]]:
        """(jurisdiction, status, settlements)."""
        rows = await self.session.execute(
            select(SettlementRow.jurisdiction, SettlementRow.status, func.count()).group_by(
                SettlementRow.jurisdiction, SettlementRow.status
            )
        )
        return [(j, s, int(n)) for j, s, n in rows.all()]

    async def oldest_submissions(self) -> list[tuple[str, datetime]]:
        """(jurisdiction, submitted_at of its oldest settlement waiting for approval)."""
        rows = await self.session.execute(
            select(SettlementRow.jurisdiction, func.min(SettlementRow.submitted_at))
            .where(SettlementRow.status == SettlementStatus.SUBMITTED.value)
            .group_by(SettlementRow.jurisdiction)
        )
        return [(j, at) for j, at in rows.all() if at is not None]

    async def latest_periods(self) -> list[tuple[str, str]]:
        """(jurisdiction, its latest settlement month)."""
        rows = await self.session.execute(
            select(SettlementRow.jurisdiction, func.max(SettlementRow.period)).group_by(
                SettlementRow.jurisdiction
            )
        )
        return [(j, p) for j, p in rows.all()]

    async def amounts_by_kind(self, jurisdiction: str, period: str) -> list[tuple[str, str, int]]:
        """(kind, settlement status, fen) of the month's lines in the jurisdiction."""
        rows = await self.session.execute(
            select(
                SettlementLineRow.kind, SettlementRow.status, func.sum(SettlementLineRow.amount_fen)
            )
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(SettlementRow.jurisdiction == jurisdiction, SettlementRow.period == period)
            .group_by(SettlementLineRow.kind, SettlementRow.status)
        )
        return [(k, s, int(fen or 0)) for k, s, fen in rows.all()]
