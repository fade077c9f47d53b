"""Reads of the reconciliation and the reports: settled lines, bed spans, ledger figures."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.anomalies import PaidLine
from subsidy.tables import (
    BedFactRow,
    LedgerEntryRow,
    LedgerTransferRow,
    SettlementLineRow,
    SettlementRow,
)

ENTRIES = cast(Table, LedgerEntryRow.__table__)
TRANSFERS = cast(Table, LedgerTransferRow.__table__)
SETTLED = ("approved", "paid")


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settlements(self, jurisdiction: str, period: str) -> list[SettlementRow]:
        rows = await self.session.scalars(
            select(SettlementRow)
            .where(SettlementRow.jurisdiction == jurisdiction, SettlementRow.period == period)
            .order_by(SettlementRow.provider_id)
        )
        return list(rows.all())

    async def settled_lines(
        self, jurisdiction: str, *, for_period: str | None = None, kind: str | None = None
    ) -> list[PaidLine]:
        statement = (
            select(
                SettlementLineRow.settlement_id,
                SettlementRow.provider_id,
                SettlementLineRow.bed_id,
                SettlementLineRow.elder_id,
                SettlementLineRow.for_period,
                SettlementLineRow.kind,
                SettlementLineRow.amount_fen,
            )
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(SettlementRow.jurisdiction == jurisdiction, SettlementRow.status.in_(SETTLED))
            .order_by(SettlementLineRow.id)
        )
        if for_period is not None:
            statement = statement.where(SettlementLineRow.for_period == for_period)
        if kind is not None:
            statement = statement.where(SettlementLineRow.kind == kind)
        return [PaidLine(*row) for row in (await self.session.execute(statement)).all()]

    async def beds(self, jurisdiction: str) -> list[BedFactRow]:
        rows = await self.session.scalars(
            select(BedFactRow)
            .where(BedFactRow.jurisdiction == jurisdiction)
            .order_by(BedFactRow.bed_id)
        )
        return list(rows.all())

    async def payable_movements(self, settlement_ids: list[str]) -> dict[tuple[str, str], int]:
        """Per (settlement, transfer kind): the provider-payable movement, credit positive.
        Pending transfers count only once posted."""
        if not settlement_ids:
            return {}
        resolution = select(TRANSFERS.c.pending_id).where(TRANSFERS.c.flag == "post")
        rows = await self.session.execute(
            select(TRANSFERS.c.reference, TRANSFERS.c.kind, func.sum(ENTRIES.c.amount_fen))
            .join(ENTRIES, ENTRIES.c.transfer_id == TRANSFERS.c.id)
            .where(
                TRANSFERS.c.reference.in_(settlement_ids),
                ENTRIES.c.account_id.like("provider_payable:%")
                | ENTRIES.c.account_id.like("clawback_receivable:%"),
                (TRANSFERS.c.flag == "single") | TRANSFERS.c.id.in_(resolution),
            )
            .group_by(TRANSFERS.c.reference, TRANSFERS.c.kind)
        )
        return {(ref, kind): -int(total) for ref, kind, total in rows}
