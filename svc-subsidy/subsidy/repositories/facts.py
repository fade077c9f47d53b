"""Entitlement facts: beds, suspensions, visit values, fact history, re-opened months."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.facts import BedFacts, Suspension, bed_facts_of
from subsidy.domain.periods import Period
from subsidy.repositories.driver import asyncpg_connection, on_postgres
from subsidy.tables import (
    BedFactRow,
    BedSuspensionRow,
    FactHistoryRow,
    PlatformAcceptanceRow,
    ReopenedPeriodRow,
    SettlementRow,
    VisitMonthTotalRow,
    VisitValueRow,
)

BEDS = cast(Table, BedFactRow.__table__)
SUSPENSIONS = cast(Table, BedSuspensionRow.__table__)
VISITS = cast(Table, VisitValueRow.__table__)
REOPENED = cast(Table, ReopenedPeriodRow.__table__)
TOTALS = cast(Table, VisitMonthTotalRow.__table__)
TOTAL_COLUMNS = ("visits", "value_fen", "unpriced", "unpriced_seconds")


# a bed row made by a visit before the bed's first event carries this epoch (no lifecycle yet)
WITH_LIFECYCLE_FROM = datetime(1971, 1, 1, tzinfo=UTC)


class RunBed(NamedTuple):
    """A bed as a month's run reads it: who and whose, then the stored facts in `BedFacts`'
    field order (`facts` fills in the rest)."""

    bed_id: str
    elder_id: str
    provider_id: str
    payments_suspended: bool
    birth_date: date | None
    ability_level: str | None
    economic_status: str | None
    package_fee_fen: int | None
    contract_start: date | None
    contract_end: date | None
    established_on: date | None
    accepted_on: date | None
    terminated_on: date | None
    construction_investment_fen: int | None
    modification_cost_fen: int | None
    modification_consent: bool | None
    voucher_fen: int | None

    @classmethod
    def of(cls, row: BedFactRow) -> RunBed:
        return cls._make(getattr(row, name) for name in cls._fields)

    def facts(
        self, suspensions: tuple[Suspension, ...], paid_fen: int, services_fen: int | None
    ) -> BedFacts:
        """The bed's facts for a month: the stored ones, the construction subsidy paid for the
        elder before the month, the services delivered in it, the suspensions."""
        return bed_facts_of((*self[4:14], paid_fen, *self[14:17], services_fen, suspensions))


# RunBed's fields, in order (`tests/service/test_run_beds.py`)
RUN_BEDS = (
    "SELECT bed_id, elder_id, provider_id, payments_suspended, birth_date, ability_level, "
    "economic_status, package_fee_fen, contract_start, contract_end, established_on, "
    "accepted_on, terminated_on, construction_investment_fen, modification_cost_fen, "
    "modification_consent, voucher_fen FROM bed_facts "
    "WHERE jurisdiction = $1 AND provider_id = ANY($2::text[]) AND last_event_at >= $3 "
    "ORDER BY provider_id, bed_id"
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

    async def platform_acceptances_of(
        self, provider_ids: Sequence[str]
    ) -> dict[str, PlatformAcceptanceRow]:
        """The platform acceptances of these providers, by provider (one query for a county)."""
        rows = await self.session.scalars(
            select(PlatformAcceptanceRow).where(PlatformAcceptanceRow.provider_id.in_(provider_ids))
        )
        return {row.provider_id: row for row in rows}

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
        """The visit's latest version wins; an older version delivered late changes nothing.
        The month totals follow: PostgreSQL's triggers (0005), here in code on SQLite."""
        in_code = self.session.get_bind().dialect.name != "postgresql"
        before = None
        if in_code:
            before = (
                await self.session.execute(
                    select(
                        VISITS.c.version,
                        VISITS.c.bed_id,
                        VISITS.c.service_date,
                        VISITS.c.service_seconds,
                        VISITS.c.value_fen,
                        VISITS.c.counted,
                    ).where(VISITS.c.visit_id == values["visit_id"])
                )
            ).first()
        statement = self._insert(VISITS).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[VISITS.c.visit_id],
            set_={k: statement.excluded[k] for k in values if k != "visit_id"},
            where=VISITS.c.version <= statement.excluded.version,
        )
        await self.session.execute(statement)
        if in_code and (before is None or before.version <= values["version"]):
            if before is not None:
                await self._add_to_totals(dict(before._mapping), -1)
            await self._add_to_totals(values, 1)

    async def _add_to_totals(self, visit: Mapping[str, Any], sign: int) -> None:
        """A visit's counted share of its bed's month, added (1) or taken off (-1)."""
        if not visit["counted"]:
            return
        unpriced = visit["value_fen"] is None
        share = {
            "visits": sign,
            "value_fen": sign * (visit["value_fen"] or 0),
            "unpriced": sign * int(unpriced),
            "unpriced_seconds": sign * (visit["service_seconds"] if unpriced else 0),
        }
        statement = self._insert(TOTALS).values(
            bed_id=visit["bed_id"], period=str(Period.of(visit["service_date"])), **share
        )
        statement = statement.on_conflict_do_update(
            index_elements=[TOTALS.c.bed_id, TOTALS.c.period],
            set_={name: TOTALS.c[name] + statement.excluded[name] for name in TOTAL_COLUMNS},
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
        """Mark every month from `since` that this provider already has a settlement of: once
        that month is approved, the next run adjusts it (a late correction never edits an
        approved settlement). A draft or a submitted month is marked too: it may be submitted
        or approved without a re-run, with lines older than this fact. An open mark is moved:
        its revision bumped (a run that read it before this fact closes it only at the revision
        it read, `domain/reopened_marks.py`; on PostgreSQL a run in flight holds its row lock,
        so this waits for that run's commit), its time set to `now`."""
        months = (
            await self.session.scalars(
                select(SettlementRow.period).where(
                    SettlementRow.provider_id == provider_id,
                    SettlementRow.jurisdiction == jurisdiction,
                    SettlementRow.period >= str(since),
                )
            )
        ).all()
        opened = []
        for period in sorted(months):
            moved = await self.session.execute(
                update(REOPENED)
                .where(
                    REOPENED.c.bed_id == bed_id,
                    REOPENED.c.provider_id == provider_id,
                    REOPENED.c.jurisdiction == jurisdiction,
                    REOPENED.c.period == period,
                    REOPENED.c.consumed_by.is_(None),
                )
                .values(recorded_at=now, reason=reason[:200], revision=REOPENED.c.revision + 1)
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
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

    # -- reads of the settlement run (a set of providers of one jurisdiction at once) ---------

    async def beds_in(self, jurisdiction: str, provider_ids: Sequence[str]) -> list[RunBed]:
        """The providers' beds that have their lifecycle facts (a placeholder row, made by a
        visit before the bed's first event, has none yet), in (provider, bed) order. On
        PostgreSQL read by asyncpg itself: a county month is ~10⁵ beds, and SQLAlchemy's rows
        cost more than the read (`bench/subsidy_bench.py`)."""
        if on_postgres(self.session):
            driver = await asyncpg_connection(self.session)
            records = await driver.fetch(
                RUN_BEDS, jurisdiction, list(provider_ids), WITH_LIFECYCLE_FROM
            )
            return list(map(RunBed._make, records))
        rows = await self.session.execute(
            select(*(BEDS.c[name] for name in RunBed._fields))
            .where(
                BEDS.c.jurisdiction == jurisdiction,
                BEDS.c.provider_id.in_(provider_ids),
                BEDS.c.last_event_at >= WITH_LIFECYCLE_FROM,
            )
            .order_by(BEDS.c.provider_id, BEDS.c.bed_id)
        )
        return list(map(RunBed._make, rows))

    async def providers_in(self, jurisdiction: str) -> list[str]:
        """Every provider with a bed in the jurisdiction: a county's run settles them all."""
        rows = await self.session.scalars(
            select(BEDS.c.provider_id)
            .where(BEDS.c.jurisdiction == jurisdiction)
            .distinct()
            .order_by(BEDS.c.provider_id)
        )
        return list(rows.all())

    async def suspensions_of(
        self, provider_id: str, jurisdiction: str
    ) -> dict[str, tuple[Suspension, ...]]:
        return await self.suspensions_in(jurisdiction, [provider_id])

    async def suspensions_in(
        self, jurisdiction: str, provider_ids: Sequence[str]
    ) -> dict[str, tuple[Suspension, ...]]:
        rows = await self.session.execute(
            select(SUSPENSIONS.c.bed_id, SUSPENSIONS.c.start, SUSPENSIONS.c.resumed_on)
            .join(BEDS, BEDS.c.bed_id == SUSPENSIONS.c.bed_id)
            .where(BEDS.c.jurisdiction == jurisdiction, BEDS.c.provider_id.in_(provider_ids))
            .order_by(SUSPENSIONS.c.bed_id, SUSPENSIONS.c.start)
        )
        found: dict[str, list[Suspension]] = defaultdict(list)
        for bed_id, start, resumed_on in rows:
            found[bed_id].append(Suspension(start, resumed_on))
        return {bed: tuple(items) for bed, items in found.items()}

    async def services_in(
        self,
        jurisdiction: str,
        provider_ids: Sequence[str],
        period: Period,
        hourly_value_fen: int | None,
    ) -> dict[str, int | None]:
        """Per bed, the value of the month's counted visits (verified, on site), in fen; None
        when some visit carries no value and no hourly value is configured. Read from the
        month totals kept on write (one row per bed), not from the visits."""
        rows = await self.session.execute(
            select(
                TOTALS.c.bed_id, TOTALS.c.value_fen, TOTALS.c.unpriced_seconds, TOTALS.c.unpriced
            )
            .join(BEDS, BEDS.c.bed_id == TOTALS.c.bed_id)
            .where(
                BEDS.c.jurisdiction == jurisdiction,
                BEDS.c.provider_id.in_(provider_ids),
                TOTALS.c.period == str(period),
                TOTALS.c.visits > 0,
            )
        )
        values: dict[str, int | None] = {}
        for bed_id, priced, seconds, count in rows:
            if count == 0:
                values[bed_id] = priced
            elif hourly_value_fen is None:
                values[bed_id] = None
            else:  # whole fen, rounded up in the provider's favour: interpretation
                values[bed_id] = priced + -(-seconds * hourly_value_fen // 3600)
        return values

    async def visit_totals(self, bed_id: str, period: Period) -> tuple[int, int, int, int]:
        """(visits, value, unpriced visits, their seconds) as kept on write, zeros when none."""
        row = (
            await self.session.execute(
                select(*(TOTALS.c[name] for name in TOTAL_COLUMNS)).where(
                    TOTALS.c.bed_id == bed_id, TOTALS.c.period == str(period)
                )
            )
        ).first()
        return (0, 0, 0, 0) if row is None else (row[0], row[1], row[2], row[3])
