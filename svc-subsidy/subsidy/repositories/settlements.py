"""Settlements and their lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.lines import Line
from subsidy.domain.periods import Period
from subsidy.domain.settlement import SettledLine, funding_text, parse_funding
from subsidy.tables import BedFactRow, SettlementLineRow, SettlementRow

LINES = cast(Table, SettlementLineRow.__table__)
SETTLED = ("approved", "paid")


class SettlementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    async def create_if_missing(self, values: dict[str, Any]) -> None:
        """The settlement row, once; two racing runs both get past here to the lock."""
        await self.session.execute(
            self._insert(cast(Table, SettlementRow.__table__))
            .values(**values)
            .on_conflict_do_nothing()
        )

    async def get(self, settlement_id: str, *, lock: bool = False) -> SettlementRow | None:
        statement = select(SettlementRow).where(SettlementRow.id == settlement_id)
        if lock:  # the run and the transitions of one settlement go one at a time
            statement = statement.with_for_update()
        row = await self.session.scalar(statement.execution_options(populate_existing=True))
        return row

    async def page(
        self,
        *,
        provider_id: str | None,
        regions: Sequence[str] | None,
        period: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[SettlementRow], int]:
        statement = select(SettlementRow)
        if provider_id is not None:
            statement = statement.where(SettlementRow.provider_id == provider_id)
        if regions is not None:
            statement = statement.where(SettlementRow.jurisdiction.in_(regions))
        if period is not None:
            statement = statement.where(SettlementRow.period == period)
        if status is not None:
            statement = statement.where(SettlementRow.status == status)
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await self.session.scalars(
            statement.order_by(SettlementRow.period.desc(), SettlementRow.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.all()), int(total or 0)

    async def lines(self, settlement_id: str) -> list[SettledLine]:
        """The settlement's lines in their order (plain rows: no ORM identity map to fill)."""
        rows = await self.session.execute(
            select(
                LINES.c.bed_id,
                LINES.c.elder_id,
                LINES.c.for_period,
                LINES.c.kind,
                LINES.c.amount_fen,
                LINES.c.payee,
                LINES.c.rule,
                LINES.c.seed,
                LINES.c.explanation,
                LINES.c.funding,
            )
            .where(LINES.c.settlement_id == settlement_id)
            .order_by(LINES.c.position)
        )
        return [
            SettledLine(
                bed_id=bed,
                elder_id=elder,
                for_period=month,
                line=Line(kind, amount, payee, rule, seed, text, parse_funding(funding)),
            )
            for bed, elder, month, kind, amount, payee, rule, seed, text, funding in rows
        ]

    async def line_rows(
        self, settlement_id: str, *, limit: int, offset: int
    ) -> list[SettlementLineRow]:
        rows = await self.session.scalars(
            select(SettlementLineRow)
            .where(SettlementLineRow.settlement_id == settlement_id)
            .order_by(SettlementLineRow.position)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.all())

    async def line(self, line_id: str) -> SettlementLineRow | None:
        return await self.session.get(SettlementLineRow, line_id)

    async def replace_lines(self, settlement_id: str, lines: Sequence[SettledLine]) -> None:
        """A draft's lines are the last run's: the old ones go, the new ones come (the ledger
        sees nothing of a draft)."""
        await self.session.execute(delete(LINES).where(LINES.c.settlement_id == settlement_id))
        if not lines:
            return
        await self.session.execute(
            insert(LINES),
            [
                {
                    "id": settled.line_id(settlement_id),
                    "settlement_id": settlement_id,
                    "position": position,
                    "bed_id": settled.bed_id,
                    "elder_id": settled.elder_id,
                    "for_period": settled.for_period,
                    "kind": settled.line.kind,
                    "rule": settled.line.rule,
                    "seed": settled.line.seed,
                    "payee": settled.line.payee,
                    "amount_fen": settled.line.amount_fen,
                    "funding": funding_text(settled.line.funding),
                    "explanation": settled.line.explanation,
                }
                for position, settled in enumerate(lines)
            ],
        )

    async def construction_paid_before(
        self, provider_id: str, jurisdiction: str, period: Period
    ) -> dict[str, int]:
        """Per elder of this provider's beds: construction subsidy settled for months before
        `period` by any provider (once per elder, 001 §四(七)1)."""
        elders = select(BedFactRow.elder_id).where(
            BedFactRow.provider_id == provider_id, BedFactRow.jurisdiction == jurisdiction
        )
        rows = await self.session.execute(
            select(SettlementLineRow.elder_id, func.sum(SettlementLineRow.amount_fen))
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(
                SettlementRow.status.in_(SETTLED),
                SettlementLineRow.kind == "construction",
                SettlementLineRow.for_period < str(period),
                SettlementLineRow.elder_id.in_(elders),
            )
            .group_by(SettlementLineRow.elder_id)
        )
        return {elder: int(total) for elder, total in rows}

    async def settled_for(
        self, provider_id: str, jurisdiction: str, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[SettledLine]]:
        """The approved or paid lines (adjustments included) accounting for (bed, month)."""
        wanted = set(pairs)
        if not wanted:
            return {}
        beds = sorted({bed for bed, _ in wanted})
        rows = await self.session.scalars(
            select(SettlementLineRow)
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(
                SettlementRow.provider_id == provider_id,
                SettlementRow.jurisdiction == jurisdiction,
                SettlementRow.status.in_(SETTLED),
                SettlementLineRow.bed_id.in_(beds),
            )
            .order_by(SettlementLineRow.id)
        )
        found: dict[tuple[str, str], list[SettledLine]] = defaultdict(list)
        for row in rows:
            if (row.bed_id, row.for_period) in wanted:
                found[(row.bed_id, row.for_period)].append(_settled(row))
        return found

    async def mark(self, row: SettlementRow, **values: Any) -> None:
        for name, value in values.items():
            setattr(row, name, value)
        await self.session.flush()

    async def touch(self, row: SettlementRow, now: datetime) -> None:
        row.ran_at = now
        await self.session.flush()


def _settled(row: SettlementLineRow) -> SettledLine:
    return SettledLine(
        bed_id=row.bed_id,
        elder_id=row.elder_id,
        for_period=row.for_period,
        line=Line(
            kind=row.kind,  # type: ignore[arg-type]
            amount_fen=row.amount_fen,
            payee=row.payee,  # type: ignore[arg-type]
            rule=row.rule,
            seed=row.seed,
            explanation=row.explanation,
            funding=parse_funding(row.funding),
        ),
    )
