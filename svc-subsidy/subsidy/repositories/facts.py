"""Entitlement facts: beds, suspensions, visit values, fact history, re-opened months."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, and_, case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.facts import Suspension
from subsidy.domain.periods import Period
from subsidy.tables import (
    BedFactRow,
    BedSuspensionRow,
    FactHistoryRow,
    PlatformAcceptanceRow,
    ReopenedPeriodRow,
    SettlementRow,
    VisitValueRow,
)

BEDS = cast(Table, BedFactRow.__table__)
SUSPENSIONS = cast(Table, BedSuspensionRow.__table__)
VISITS = cast(Table, VisitValueRow.__table__)
REOPENED = cast(Table, ReopenedPeriodRow.__table__)
SETTLED = ("approved", "paid")
SERVICES_OF = text(
    "SELECT b.bed_id, s.priced, s.unpriced_seconds, s.unpriced FROM bed_facts b "
    "CROSS JOIN LATERAL (SELECT coalesce(sum(v.value_fen), 0) AS priced, "
    "coalesce(sum(v.service_seconds) FILTER (WHERE v.value_fen IS NULL), 0) AS unpriced_seconds, "
    "count(*) FILTER (WHERE v.value_fen IS NULL) AS unpriced, count(*) AS visits "
    "FROM visit_values v WHERE v.bed_id = b.bed_id AND v.counted "
    "AND v.service_date BETWEEN CAST(:first AS date) AND CAST(:last AS date)) s "
    "WHERE b.provider_id = CAST(:provider_id AS text) "
    "AND b.jurisdiction = CAST(:jurisdiction AS text) AND s.visits > 0"
)


class FactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- writes from the consumers ---------------------------------------------------------

    async def record_history(
        self,
        *,
        bed_id: str,
        event_id: str,
        event_type: str,
        effective_on: date | None,
        occurred_at: datetime,
        recorded_at: datetime,
        data: str,
    ) -> None:
        statement = (
            self._insert(cast(Table, FactHistoryRow.__table__))
            .values(
                bed_id=bed_id,
                event_id=event_id,
                event_type=event_type,
                effective_on=effective_on,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                data=data,
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(statement)

    async def platform_acceptance(self, provider_id: str) -> PlatformAcceptanceRow | None:
        return await self.session.get(PlatformAcceptanceRow, provider_id)

    async def bed(self, bed_id: str) -> BedFactRow | None:
        return await self.session.get(BedFactRow, bed_id)

    async def put_snapshot(self, values: Mapping[str, Any]) -> None:
        """Insert a bed's lifecycle snapshot or update it unless a newer one is stored."""
        statement = self._insert(BEDS).values(**values)
        keep = {k: statement.excluded[k] for k in values if k != "bed_id"}
        statement = statement.on_conflict_do_update(
            index_elements=[BEDS.c.bed_id],
            set_=keep,
            where=BEDS.c.last_event_at <= statement.excluded.last_event_at,
        )
        await self.session.execute(statement)

    async def set_bed_fields(self, bed_id: str, values: Mapping[str, Any]) -> bool:
        result = await self.session.execute(
            update(BEDS).where(BEDS.c.bed_id == bed_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add(self, row: object) -> None:
        self.session.add(row)

    async def start_suspension(self, bed_id: str, start: date) -> None:
        statement = (
            self._insert(SUSPENSIONS)
            .values(bed_id=bed_id, start=start, resumed_on=None)
            .on_conflict_do_nothing()
        )
        await self.session.execute(statement)

    async def end_suspension(self, bed_id: str, resumed_on: date) -> None:
        await self.session.execute(
            update(SUSPENSIONS)
            .where(
                and_(
                    SUSPENSIONS.c.bed_id == bed_id,
                    SUSPENSIONS.c.resumed_on.is_(None),
                    SUSPENSIONS.c.start <= resumed_on,
                )
            )
            .values(resumed_on=resumed_on)
        )

    async def put_visit(self, values: Mapping[str, Any]) -> None:
        """The visit's latest version wins; an older version delivered late changes nothing."""
        statement = self._insert(VISITS).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[VISITS.c.visit_id],
            set_={k: statement.excluded[k] for k in values if k != "visit_id"},
            where=VISITS.c.version <= statement.excluded.version,
        )
        await self.session.execute(statement)

    async def reopen_settled_months(
        self,
        *,
        bed_id: str,
        provider_id: str,
        jurisdiction: str,
        since: Period,
        reason: str,
        now: datetime,
    ) -> list[str]:
        """Mark every month from `since` that this provider already settled: the next run
        adjusts it (a late correction never edits an approved settlement)."""
        settled = (
            await self.session.scalars(
                select(SettlementRow.period).where(
                    SettlementRow.provider_id == provider_id,
                    SettlementRow.jurisdiction == jurisdiction,
                    SettlementRow.status.in_(SETTLED),
                    SettlementRow.period >= str(since),
                )
            )
        ).all()
        opened = []
        for period in sorted(settled):
            already = await self.session.scalar(
                select(REOPENED.c.id).where(
                    REOPENED.c.bed_id == bed_id,
                    REOPENED.c.period == period,
                    REOPENED.c.consumed_by.is_(None),
                )
            )
            if already is None:
                self.session.add(
                    ReopenedPeriodRow(
                        bed_id=bed_id,
                        provider_id=provider_id,
                        jurisdiction=jurisdiction,
                        period=period,
                        reason=reason[:200],
                        recorded_at=now,
                        consumed_by=None,
                    )
                )
                opened.append(period)
        return opened

    # -- reads of the settlement run ---------------------------------------------------------

    async def beds_of(self, provider_id: str, jurisdiction: str) -> list[Row[Any]]:
        """The provider's beds as plain rows (the columns of BedFactRow by name): a month's
        run reads every bed once and never changes them, so no ORM identity map to fill."""
        rows = await self.session.execute(
            select(*BEDS.c)
            .where(BEDS.c.provider_id == provider_id, BEDS.c.jurisdiction == jurisdiction)
            .order_by(BEDS.c.bed_id)
        )
        return list(rows.all())

    async def suspensions_of(
        self, provider_id: str, jurisdiction: str
    ) -> dict[str, tuple[Suspension, ...]]:
        rows = await self.session.execute(
            select(SUSPENSIONS.c.bed_id, SUSPENSIONS.c.start, SUSPENSIONS.c.resumed_on)
            .join(BEDS, BEDS.c.bed_id == SUSPENSIONS.c.bed_id)
            .where(BEDS.c.provider_id == provider_id, BEDS.c.jurisdiction == jurisdiction)
            .order_by(SUSPENSIONS.c.bed_id, SUSPENSIONS.c.start)
        )
        found: dict[str, list[Suspension]] = defaultdict(list)
        for bed_id, start, resumed_on in rows:
            found[bed_id].append(Suspension(start, resumed_on))
        return {bed: tuple(items) for bed, items in found.items()}

    async def services_of(
        self, provider_id: str, jurisdiction: str, period: Period, hourly_value_fen: int | None
    ) -> dict[str, int | None]:
        """Per bed, the value of the month's counted visits (verified, on site), in fen; None
        when some visit carries no value and no hourly value is configured."""
        if self.session.get_bind().dialect.name == "postgresql":
            # per bed, a lateral index scan of its month: the cost follows the provider's
            # visits, not the county's (a join let the planner scan every visit per provider)
            rows = await self.session.execute(
                SERVICES_OF,
                {
                    "provider_id": provider_id,
                    "jurisdiction": jurisdiction,
                    "first": period.first_day,
                    "last": period.last_day,
                },
            )
        else:
            unpriced_seconds = func.sum(
                case((VISITS.c.value_fen.is_(None), VISITS.c.service_seconds), else_=0)
            )
            unpriced_count = func.sum(case((VISITS.c.value_fen.is_(None), 1), else_=0))
            rows = await self.session.execute(
                select(
                    VISITS.c.bed_id,
                    func.coalesce(func.sum(VISITS.c.value_fen), 0),
                    unpriced_seconds,
                    unpriced_count,
                )
                .join(BEDS, BEDS.c.bed_id == VISITS.c.bed_id)
                .where(
                    BEDS.c.provider_id == provider_id,
                    BEDS.c.jurisdiction == jurisdiction,
                    VISITS.c.counted.is_(True),
                    VISITS.c.service_date >= period.first_day,
                    VISITS.c.service_date <= period.last_day,
                )
                .group_by(VISITS.c.bed_id)
            )
        values: dict[str, int | None] = {}
        for bed_id, priced, seconds, count in rows:
            if int(count or 0) == 0:
                values[bed_id] = int(priced)
            elif hourly_value_fen is None:
                values[bed_id] = None
            else:  # whole fen, rounded up in the provider's favour: interpretation
                values[bed_id] = int(priced) + -(-int(seconds) * hourly_value_fen // 3600)
        return values

    async def open_reopened(
        self, provider_id: str, jurisdiction: str, before: Period
    ) -> list[tuple[str, str]]:
        """(bed, period) pairs re-opened and not yet adjusted, for months before `before`."""
        rows = await self.session.execute(
            select(REOPENED.c.bed_id, REOPENED.c.period)
            .where(
                REOPENED.c.provider_id == provider_id,
                REOPENED.c.jurisdiction == jurisdiction,
                REOPENED.c.consumed_by.is_(None),
                REOPENED.c.period < str(before),
            )
            .distinct()
            .order_by(REOPENED.c.period, REOPENED.c.bed_id)
        )
        return [(b, p) for b, p in rows]

    async def consume_reopened(
        self,
        provider_id: str,
        jurisdiction: str,
        before: Period,
        settlement_id: str,
        recorded_until: datetime,
    ) -> None:
        await self.session.execute(
            update(REOPENED)
            .where(
                REOPENED.c.provider_id == provider_id,
                REOPENED.c.jurisdiction == jurisdiction,
                REOPENED.c.consumed_by.is_(None),
                REOPENED.c.period < str(before),
                REOPENED.c.recorded_at <= recorded_until,
            )
            .values(consumed_by=settlement_id)
        )
