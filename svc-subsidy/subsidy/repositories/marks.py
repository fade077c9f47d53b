"""Re-opened marks as the settlement runs read them, and their closing by an approval
(`domain/reopened_marks.py`, migration 0010)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import Table, and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.periods import Period
from subsidy.domain.reopened_marks import Mark, MarkRead
from subsidy.tables import ReopenedPeriodRow, SettlementRunMarkRow

REOPENED = cast(Table, ReopenedPeriodRow.__table__)
READ = cast(Table, SettlementRunMarkRow.__table__)


class MarksRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_marks(
        self,
        jurisdiction: str,
        provider_ids: Sequence[str],
        through: Period,
        *,
        lock: bool,
    ) -> list[Mark]:
        """The open marks of these providers' months up to `through`. `lock` (a run, not a dry
        run): on PostgreSQL the rows are locked (month, bed, id order — the order a fact's
        consumer marks a bed's months in, so neither waits for the other in a cycle) until the
        run commits: a fact moving one of them waits for the run, then bumps its revision."""
        statement = (
            select(
                REOPENED.c.id,
                REOPENED.c.revision,
                REOPENED.c.provider_id,
                REOPENED.c.bed_id,
                REOPENED.c.period,
            )
            .where(
                REOPENED.c.provider_id.in_(provider_ids),
                REOPENED.c.jurisdiction == jurisdiction,
                REOPENED.c.consumed_by.is_(None),
                REOPENED.c.period <= str(through),
            )
            .order_by(REOPENED.c.period, REOPENED.c.bed_id, REOPENED.c.id)
        )
        if lock:
            statement = statement.with_for_update()
        rows = await self.session.execute(statement)
        return [Mark(*row) for row in rows]

    async def record_read(self, runs: Mapping[str, Sequence[MarkRead]]) -> None:
        """Each settlement's run accounted for these marks (at these revisions): they replace
        what its previous run recorded, like its lines."""
        if not runs:
            return
        await self.session.execute(delete(READ).where(READ.c.settlement_id.in_(list(runs))))
        rows = [
            {"settlement_id": stl, "mark_id": mark_id, "revision": revision}
            for stl, marks in runs.items()
            for mark_id, revision in sorted(set(marks))
        ]
        if rows:
            await self.session.execute(insert(READ), rows)

    async def close_read_by(self, settlement_ids: Sequence[str]) -> int:
        """As these settlements are approved: close the open marks their last runs accounted
        for, still at the revision they read (a fact since then moved the mark: left open). The
        rows are locked in the runs' order first; on PostgreSQL a concurrent fact's bump is
        waited for and re-checked. A mark read by two of them goes to the first by id."""
        rows = await self.session.execute(
            select(REOPENED.c.id, READ.c.settlement_id)
            .join(
                READ,
                and_(READ.c.mark_id == REOPENED.c.id, READ.c.revision == REOPENED.c.revision),
            )
            .where(READ.c.settlement_id.in_(list(settlement_ids)), REOPENED.c.consumed_by.is_(None))
            .order_by(REOPENED.c.period, REOPENED.c.bed_id, REOPENED.c.id, READ.c.settlement_id)
            .with_for_update(of=REOPENED)
        )
        closing: dict[int, str] = {}
        for mark_id, settlement_id in rows:
            closing.setdefault(mark_id, settlement_id)
        by_settlement: dict[str, list[int]] = {}
        for mark_id, settlement_id in closing.items():
            by_settlement.setdefault(settlement_id, []).append(mark_id)
        for settlement_id, marks in sorted(by_settlement.items()):
            await self.session.execute(
                update(REOPENED).where(REOPENED.c.id.in_(marks)).values(consumed_by=settlement_id)
            )
        return len(closing)
