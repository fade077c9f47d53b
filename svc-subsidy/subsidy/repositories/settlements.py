"""Settlements and their lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from subsidy.domain.bed_adjustments import AdjustmentKey, Holder
from subsidy.domain.lines import Line
from subsidy.domain.periods import Period
from subsidy.domain.provider_awards import Award, ClaimKey
from subsidy.domain.settlement import (
    LineAmount,
    PostingSums,
    SettledLine,
    funding_text,
    parse_funding,
    posting_sums,
)
from subsidy.repositories.driver import asyncpg_connection
from subsidy.tables import (
    BedAdjustmentClaimRow,
    BedFactRow,
    ProviderAwardClaimRow,
    SettlementLineRow,
    SettlementRow,
)

LINES = cast(Table, SettlementLineRow.__table__)
CLAIMS = cast(Table, ProviderAwardClaimRow.__table__)
ADJUSTMENTS = cast(Table, BedAdjustmentClaimRow.__table__)
SETTLEMENTS = cast(Table, SettlementRow.__table__)
SETTLED = ("approved", "paid")
LINE_COLUMNS = (  # the columns a run writes (COPY on PostgreSQL), in its records' order
    "settlement_id",
    "position",
    "id",
    "bed_id",
    "elder_id",
    "for_period",
    "kind",
    "rule",
    "seed",
    "payee",
    "amount_fen",
    "funding",
    "explanation",
)


# each line's funding text ("district=29010", "city=150000,district=150000") split into its
# legs and summed per settlement and level by PostgreSQL (what `funding_legs` does in Python)
LEVEL_SUMS = text(
    "SELECT l.settlement_id, split_part(leg, '=', 1) AS level, "
    "sum(split_part(leg, '=', 2)::bigint) AS fen "
    "FROM settlement_lines l CROSS JOIN LATERAL unnest(string_to_array(l.funding, ',')) AS leg "
    "WHERE l.settlement_id IN :ids AND leg <> '' GROUP BY l.settlement_id, level"
).bindparams(bindparam("ids", expanding=True))


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

    async def create_many_if_missing(self, rows: Sequence[dict[str, Any]]) -> None:
        """Settlement rows, once each, in one statement (a county's providers)."""
        if rows:
            await self.session.execute(
                self._insert(cast(Table, SettlementRow.__table__))
                .values(list(rows))
                .on_conflict_do_nothing()
            )

    async def get_many(self, ids: Sequence[str], *, lock: bool = False) -> list[SettlementRow]:
        """The settlements of `ids` that exist, in id order (the lock order: two batches
        overlapping lock their common rows in the same order, no deadlock)."""
        statement = (
            select(SettlementRow).where(SettlementRow.id.in_(ids)).order_by(SettlementRow.id)
        )
        if lock:
            statement = statement.with_for_update()
        rows = await self.session.scalars(statement.execution_options(populate_existing=True))
        return list(rows.all())

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
        await self.replace_lines_of([settlement_id], [(settlement_id, lines)])

    async def replace_lines_of(
        self, ids: Sequence[str], runs: Iterable[tuple[str, Sequence[SettledLine]]]
    ) -> None:
        """Drafts' lines are their last run's: the old lines of `ids` go, the new ones come
        (the ledger sees nothing of a draft). `runs`: (settlement, its lines), read once, as
        the writing goes — on PostgreSQL one COPY for every settlement of the run, fed as they
        come (asyncpg sends every ~512 kB of records: the database writes those while the next
        ones are computed); the records are tuples, one per line (no column lists to fill)."""
        if not ids:
            return
        await self.session.execute(delete(LINES).where(LINES.c.settlement_id.in_(list(ids))))
        records = (
            (
                settlement_id,
                position,
                settled.line_id(settlement_id),
                settled.bed_id,
                settled.elder_id,
                settled.for_period,
                settled.line.kind,
                settled.line.rule,
                settled.line.seed,
                settled.line.payee,
                settled.line.amount_fen,
                funding_text(settled.line.funding),
                settled.line.explanation,
            )
            for settlement_id, lines in runs
            for position, settled in enumerate(lines)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            await self._copy_lines(records)
            return
        rows = [dict(zip(LINE_COLUMNS, r, strict=True)) for r in records]
        if rows:
            await self.session.execute(insert(LINES), rows)

    async def _copy_lines(self, records: Iterable[tuple[Any, ...]]) -> None:
        """The lines by COPY (binary records, in the session's transaction): no array
        parameters to encode element by element (asyncpg checks each element of an array
        parameter against the iterable ABCs: ~10⁵ checks a county's lines), no statement text
        to parse. The table's statement trigger (lines of an unknown settlement) fires for a
        COPY as for an INSERT; a COPY of no record writes nothing."""
        driver = await asyncpg_connection(self.session)
        await driver.copy_records_to_table(
            "settlement_lines", records=records, columns=list(LINE_COLUMNS)
        )

    async def line_amounts(self, settlement_id: str) -> list[LineAmount]:
        """(elder, kind, amount, funding) of each line: what the ledger and the payment need,
        as plain tuples (no Line objects, no explanations)."""
        return (await self.line_amounts_of([settlement_id])).get(settlement_id, [])

    async def line_amounts_of(self, ids: Sequence[str]) -> dict[str, list[LineAmount]]:
        rows = await self.session.execute(
            select(
                LINES.c.settlement_id,
                LINES.c.elder_id,
                LINES.c.kind,
                LINES.c.amount_fen,
                LINES.c.funding,
            )
            .where(LINES.c.settlement_id.in_(ids))
            .order_by(LINES.c.settlement_id, LINES.c.position)
        )
        found: dict[str, list[LineAmount]] = defaultdict(list)
        for settlement_id, *amount in rows:
            found[settlement_id].append(LineAmount(*amount))
        return found

    async def posting_sums_of(self, ids: Sequence[str]) -> dict[str, PostingSums]:
        """Per settlement, its lines' sums for the pending transfer. PostgreSQL sums them: the
        funding legs per level (each funding text split by the database), the vouchers per
        elder, the total — three grouped reads instead of every line back into Python (10⁵
        funding texts a county month). SQLite: the lines read back and summed in Python (the
        same sums: `tests/service/test_posting_sums.py`)."""
        if not ids:
            return {}
        if self.session.get_bind().dialect.name != "postgresql":
            amounts = await self.line_amounts_of(ids)
            return {stl: posting_sums(lines) for stl, lines in amounts.items()}
        wanted = list(ids)
        found: dict[str, PostingSums] = {}

        def sums_of(stl: str) -> PostingSums:
            sums = found.get(stl)
            if sums is None:
                sums = found[stl] = PostingSums({}, {}, 0)
            return sums

        totals = await self.session.execute(
            select(LINES.c.settlement_id, func.sum(LINES.c.amount_fen))
            .where(LINES.c.settlement_id.in_(wanted))
            .group_by(LINES.c.settlement_id)
        )
        for stl, total in totals:
            found[stl] = PostingSums({}, {}, int(total))
        levels = await self.session.execute(LEVEL_SUMS, {"ids": wanted})
        for stl, level, fen in levels:
            sums_of(stl).levels[level] = int(fen)
        vouchers = await self.session.execute(
            select(LINES.c.settlement_id, LINES.c.elder_id, func.sum(LINES.c.amount_fen))
            .where(LINES.c.settlement_id.in_(wanted), LINES.c.kind == "voucher_settlement")
            .group_by(LINES.c.settlement_id, LINES.c.elder_id)
        )
        for stl, elder_id, fen in vouchers:
            sums_of(stl).vouchers[elder_id] = int(fen)
        return found

    async def kind_totals(self, settlement_id: str) -> dict[str, int]:
        return (await self.kind_totals_of([settlement_id])).get(settlement_id, {})

    async def kind_totals_of(self, ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per settlement, its total per line kind (summed by the database)."""
        rows = await self.session.execute(
            select(LINES.c.settlement_id, LINES.c.kind, func.sum(LINES.c.amount_fen))
            .where(LINES.c.settlement_id.in_(ids))
            .group_by(LINES.c.settlement_id, LINES.c.kind)
            .order_by(LINES.c.settlement_id, LINES.c.kind)
        )
        found: dict[str, dict[str, int]] = defaultdict(dict)
        for settlement_id, kind, total in rows:
            found[settlement_id][kind] = int(total)
        return found

    async def construction_paid_before(
        self, jurisdiction: str, provider_ids: Sequence[str], period: Period
    ) -> dict[str, int]:
        """Per elder of these providers' beds: construction subsidy settled for months before
        `period` by any provider (once per elder, 001 §四(七)1)."""
        elders = select(BedFactRow.elder_id).where(
            BedFactRow.provider_id.in_(provider_ids), BedFactRow.jurisdiction == jurisdiction
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

    async def statuses_of(
        self, jurisdiction: str, provider_ids: Sequence[str]
    ) -> dict[str, dict[str, str]]:
        """Per provider, its settlements in the jurisdiction: month → status (where a
        provider-level award may settle: `domain/provider_awards.py`)."""
        rows = await self.session.execute(
            select(SettlementRow.provider_id, SettlementRow.period, SettlementRow.status).where(
                SettlementRow.jurisdiction == jurisdiction,
                SettlementRow.provider_id.in_(provider_ids),
            )
        )
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for provider_id, period, status in rows:
            found[provider_id][period] = status
        return found

    async def award_claims_of(
        self, jurisdiction: str, provider_ids: Sequence[str]
    ) -> dict[str, dict[ClaimKey, str]]:
        """Per provider, which settlement holds each provider-level award it was due."""
        rows = await self.session.execute(
            select(CLAIMS.c.provider_id, CLAIMS.c.kind, CLAIMS.c.award, CLAIMS.c.settlement_id)
            .where(CLAIMS.c.jurisdiction == jurisdiction, CLAIMS.c.provider_id.in_(provider_ids))
            .order_by(CLAIMS.c.provider_id, CLAIMS.c.kind, CLAIMS.c.award)
        )
        found: dict[str, dict[ClaimKey, str]] = defaultdict(dict)
        for provider_id, kind, award, settlement_id in rows:
            found[provider_id][(kind, award)] = settlement_id
        return found

    async def claim_awards(
        self,
        *,
        settlement_id: str,
        provider_id: str,
        jurisdiction: str,
        awards: Sequence[Award],
        now: datetime,
    ) -> set[ClaimKey]:
        """The settlement's claims become `awards`: the ones it no longer carries are released,
        the new ones taken unless another settlement took them first (a concurrent run of
        another month: the primary key decides). Returns the awards this settlement holds."""
        mine = select(CLAIMS.c.kind, CLAIMS.c.award).where(CLAIMS.c.settlement_id == settlement_id)
        held = {(kind, award) for kind, award in await self.session.execute(mine)}
        wanted = {award.claim: award for award in awards}
        for kind, award in sorted(held - wanted.keys()):
            await self.session.execute(
                delete(CLAIMS).where(
                    CLAIMS.c.settlement_id == settlement_id,
                    CLAIMS.c.kind == kind,
                    CLAIMS.c.award == award,
                )
            )
        for key in sorted(wanted.keys() - held):
            await self.session.execute(
                self._insert(CLAIMS)
                .values(
                    provider_id=provider_id,
                    jurisdiction=jurisdiction,
                    kind=key[0],
                    award=key[1],
                    settlement_id=settlement_id,
                    for_period=str(wanted[key].natural),
                    claimed_at=now,
                )
                .on_conflict_do_nothing()
            )
        return {(kind, award) for kind, award in await self.session.execute(mine)}

    async def adjustment_holders(
        self, months: Iterable[tuple[str, str]]
    ) -> dict[AdjustmentKey, Holder]:
        """Which settlement holds each per-bed adjustment of these (bed, month), of any kind,
        and its state."""
        wanted = set(months)
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(
                ADJUSTMENTS.c.bed_id,
                ADJUSTMENTS.c.for_period,
                ADJUSTMENTS.c.kind,
                ADJUSTMENTS.c.settlement_id,
                SETTLEMENTS.c.status,
            )
            .outerjoin(SETTLEMENTS, SETTLEMENTS.c.id == ADJUSTMENTS.c.settlement_id)
            .where(ADJUSTMENTS.c.bed_id.in_(sorted({bed for bed, _ in wanted})))
        )
        found = {}
        for bed, month, kind, holder, status in rows:
            if (bed, month) in wanted:  # a vanished holder frees it: "paid" is free
                found[(bed, month, kind)] = Holder(holder, status or "paid")
        return found

    async def claim_adjustments(
        self,
        wanted: Mapping[str, Sequence[AdjustmentKey]],
        holders: Mapping[AdjustmentKey, Holder],
        now: datetime,
    ) -> dict[str, set[AdjustmentKey]]:
        """Each settlement's per-bed adjustment claims become `wanted[settlement]`: those it no
        longer carries are released, the unclaimed ones taken (a concurrent run that took one
        first wins: the key decides), those of an approved holder taken over (only from that
        holder: compare and swap). Returns what each settlement holds afterwards."""
        ids = sorted(wanted)
        if not ids:
            return {}
        mine = select(
            ADJUSTMENTS.c.settlement_id,
            ADJUSTMENTS.c.bed_id,
            ADJUSTMENTS.c.for_period,
            ADJUSTMENTS.c.kind,
        ).where(ADJUSTMENTS.c.settlement_id.in_(ids))
        held: dict[str, set[AdjustmentKey]] = defaultdict(set)
        for stl, bed, month, kind in await self.session.execute(mine):
            held[stl].add((bed, month, kind))
        written = False
        for stl in ids:
            want = set(wanted[stl])
            for bed, month, kind in sorted(held[stl] - want):
                await self.session.execute(
                    delete(ADJUSTMENTS).where(_key_is(bed, month, kind), _holder_is(stl))
                )
                written = True
            new = sorted(want - held[stl])
            fresh = [key for key in new if key not in holders]
            if fresh:
                await self.session.execute(
                    self._insert(ADJUSTMENTS)
                    .values(
                        [
                            {
                                "bed_id": bed,
                                "for_period": month,
                                "kind": kind,
                                "settlement_id": stl,
                                "claimed_at": now,
                            }
                            for bed, month, kind in fresh
                        ]
                    )
                    .on_conflict_do_nothing()
                )
                written = True
            for key in new:
                if key in holders:  # taken over from the approved holder, if still its own
                    await self.session.execute(
                        update(ADJUSTMENTS)
                        .where(_key_is(*key), _holder_is(holders[key].settlement_id))
                        .values(settlement_id=stl, claimed_at=now)
                    )
                    written = True
        if not written:
            return {stl: held.get(stl, set()) for stl in ids}
        after: dict[str, set[AdjustmentKey]] = {stl: set() for stl in ids}
        for stl, bed, month, kind in await self.session.execute(mine):
            after[stl].add((bed, month, kind))
        return after

    async def unclaimed_adjustments(self, ids: Sequence[str]) -> dict[str, list[AdjustmentKey]]:
        """Per settlement, its per-bed adjustment lines it does not hold the claim of (a draft
        from before the claims, or one another settlement overtook): refused at submission."""
        rows = await self.session.execute(
            select(LINES.c.settlement_id, LINES.c.bed_id, LINES.c.for_period, LINES.c.kind)
            .join(SETTLEMENTS, SETTLEMENTS.c.id == LINES.c.settlement_id)
            .outerjoin(
                ADJUSTMENTS,
                and_(
                    ADJUSTMENTS.c.bed_id == LINES.c.bed_id,
                    ADJUSTMENTS.c.for_period == LINES.c.for_period,
                    ADJUSTMENTS.c.kind == LINES.c.kind,
                    ADJUSTMENTS.c.settlement_id == LINES.c.settlement_id,
                ),
            )
            .where(
                LINES.c.settlement_id.in_(ids),
                LINES.c.for_period < SETTLEMENTS.c.period,
                LINES.c.elder_id != "",
                ADJUSTMENTS.c.bed_id.is_(None),
            )
            .order_by(LINES.c.settlement_id, LINES.c.bed_id, LINES.c.for_period, LINES.c.kind)
        )
        found: dict[str, list[AdjustmentKey]] = defaultdict(list)
        for stl, bed, month, kind in rows:
            found[stl].append((bed, month, kind))
        return found

    async def settled_for(
        self, jurisdiction: str, wanted: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], list[SettledLine]]:
        """The approved or paid lines (adjustments included) of a provider accounting for
        (provider, bed, month)."""
        keys = set(wanted)
        if not keys:
            return {}
        providers = sorted({provider for provider, _, _ in keys})
        beds = sorted({bed for _, bed, _ in keys})
        rows = await self.session.execute(
            select(SettlementRow.provider_id, SettlementLineRow)
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(
                SettlementRow.provider_id.in_(providers),
                SettlementRow.jurisdiction == jurisdiction,
                SettlementRow.status.in_(SETTLED),
                SettlementLineRow.bed_id.in_(beds),
            )
            .order_by(SettlementLineRow.id)
        )
        found: dict[tuple[str, str, str], list[SettledLine]] = defaultdict(list)
        for provider, row in rows:
            key = (provider, row.bed_id, row.for_period)
            if key in keys:
                found[key].append(_settled(row))
        return found

    async def mark_many(
        self, rows: Sequence[SettlementRow], values: Sequence[dict[str, Any]]
    ) -> None:
        for row, changes in zip(rows, values, strict=True):
            for name, value in changes.items():
                setattr(row, name, value)
        await self.session.flush()

    async def mark(self, row: SettlementRow, **values: Any) -> None:
        for name, value in values.items():
            setattr(row, name, value)
        await self.session.flush()

    async def touch(self, row: SettlementRow, now: datetime) -> None:
        row.ran_at = now
        await self.session.flush()


def _key_is(bed_id: str, for_period: str, kind: str) -> Any:
    return and_(
        ADJUSTMENTS.c.bed_id == bed_id,
        ADJUSTMENTS.c.for_period == for_period,
        ADJUSTMENTS.c.kind == kind,
    )


def _holder_is(settlement_id: str) -> Any:
    return ADJUSTMENTS.c.settlement_id == settlement_id


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
