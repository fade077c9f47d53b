"""The ledger's rows: accounts, immutable transfers and their entries; posted balances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from subsidy.domain.ledger import Entry, TransferSpec, account_kind
from subsidy.repositories.driver import asyncpg_connection
from subsidy.tables import LedgerAccountRow, LedgerEntryRow, LedgerTransferRow

ACCOUNTS = cast(Table, LedgerAccountRow.__table__)
TRANSFERS = cast(Table, LedgerTransferRow.__table__)
ENTRIES = cast(Table, LedgerEntryRow.__table__)
INSERT_ACCOUNTS = text(
    "INSERT INTO ledger_accounts (id, kind, created_at) "
    "SELECT a.id, a.kind, CAST(:now AS timestamptz) FROM unnest(CAST(:ids AS text[]), CAST(:kinds AS text[])) "
    "AS a(id, kind) ON CONFLICT DO NOTHING"
)
INSERT_TRANSFERS = text(
    "INSERT INTO ledger_transfers (id, kind, flag, pending_id, references_id, reference, memo, "
    "fingerprint, amount_fen, created_at) "
    "SELECT t.id, t.kind, t.flag, t.pending_id, t.references_id, t.reference, t.memo, "
    "t.fingerprint, t.amount_fen, CAST(:now AS timestamptz) "
    "FROM unnest(CAST(:id AS text[]), CAST(:kind AS text[]), CAST(:flag AS text[]), "
    "CAST(:pending_id AS text[]), CAST(:references_id AS text[]), CAST(:reference AS text[]), "
    "CAST(:memo AS text[]), CAST(:fingerprint AS text[]), CAST(:amount_fen AS bigint[])) "
    "AS t(id, kind, flag, pending_id, references_id, reference, memo, fingerprint, amount_fen) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
# accounts of a batch: COPYed into a session-local staging table, then one INSERT … SELECT
# with ON CONFLICT DO NOTHING (a COPY cannot skip the accounts that exist)
ACCOUNTS_STAGING = "subsidy_accounts_in"
CREATE_ACCOUNTS_STAGING = text(
    "CREATE TEMP TABLE IF NOT EXISTS subsidy_accounts_in (id text, kind text) ON COMMIT DELETE ROWS"
)
# the accounts not there yet, by a plain INSERT: `ON CONFLICT` costs a speculative insertion
# per row (twice the write of 10⁵ first-month voucher accounts); a concurrent transaction that
# creates one of them first makes it fail, and the batch falls back to INSERT_STAGED_ACCOUNTS
INSERT_MISSING_STAGED_ACCOUNTS = text(
    "INSERT INTO ledger_accounts (id, kind, created_at) SELECT a.id, a.kind, "
    "CAST(:now AS timestamptz) FROM subsidy_accounts_in AS a WHERE NOT EXISTS "
    "(SELECT 1 FROM ledger_accounts AS c WHERE c.id = a.id) ORDER BY a.id"
)
INSERT_STAGED_ACCOUNTS = text(
    "INSERT INTO ledger_accounts (id, kind, created_at) SELECT a.id, a.kind, "
    "CAST(:now AS timestamptz) FROM subsidy_accounts_in AS a ORDER BY a.id ON CONFLICT DO NOTHING"
)
CLEAR_ACCOUNTS_STAGING = text("DELETE FROM subsidy_accounts_in")
INSERT_ENTRIES = text(
    "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen, line_id) "
    "SELECT CAST(:transfer_id AS text), e.account, e.amount, e.line FROM unnest(CAST(:accounts AS text[]), "
    "CAST(:amounts AS bigint[]), CAST(:lines AS text[])) WITH ORDINALITY AS e(account, amount, "
    "line, n) ORDER BY e.n"
)


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: object) -> object:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)  # type: ignore[arg-type]

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def ensure_accounts(self, account_ids: Iterable[str], now: datetime) -> None:
        ids = sorted(set(account_ids))
        if ids and self._postgres():  # one statement of arrays, whatever the number of accounts
            kinds = [account_kind(a) for a in ids]
            await self.session.execute(INSERT_ACCOUNTS, {"ids": ids, "kinds": kinds, "now": now})
            return
        rows = [{"id": a, "kind": account_kind(a), "created_at": now} for a in ids]
        if rows:
            # executemany of one cached statement: a VALUES list per call would be compiled anew
            statement = self._insert(ACCOUNTS).on_conflict_do_nothing()  # type: ignore[attr-defined]
            await self.session.execute(statement, rows)

    async def insert_transfer(self, spec: TransferSpec, now: datetime) -> bool:
        """Insert the transfer and its entries; False when its id (or its pending) is taken."""
        statement = (
            self._insert(TRANSFERS)  # type: ignore[attr-defined]
            .values(
                id=spec.id,
                kind=spec.kind,
                flag=spec.flag,
                pending_id=spec.pending_id,
                references_id=spec.references_id,
                reference=spec.reference,
                memo=spec.memo,
                fingerprint=spec.fingerprint(),
                amount_fen=spec.amount_fen,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        result = await self.session.execute(statement)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        if spec.entries:
            await self.ensure_accounts((e.account_id for e in spec.entries), now)
            if self._postgres():  # all the transfer's entries in one statement (0003's trigger)
                await self.session.execute(
                    INSERT_ENTRIES,
                    {
                        "transfer_id": spec.id,
                        "accounts": [e.account_id for e in spec.entries],
                        "amounts": [e.amount_fen for e in spec.entries],
                        "lines": [e.line_id for e in spec.entries],
                    },
                )
                return True
            await self.session.execute(
                insert(ENTRIES),
                [
                    {
                        "transfer_id": spec.id,
                        "account_id": e.account_id,
                        "amount_fen": e.amount_fen,
                        "line_id": e.line_id,
                    }
                    for e in spec.entries
                ],
            )
        return True

    async def insert_transfers(self, specs: Sequence[TransferSpec], now: datetime) -> set[str]:
        """Insert transfers and their entries, a statement per table for the whole set (the
        accounts, the transfers, the entries); the ids created (an id taken is left out, with
        its entries). SQLite: one transfer at a time."""
        if not self._postgres():
            return {spec.id for spec in specs if await self.insert_transfer(spec, now)}
        if not specs:
            return set()
        created = set(
            (
                await self.session.scalars(
                    INSERT_TRANSFERS,
                    {
                        "now": now,
                        "id": [t.id for t in specs],
                        "kind": [t.kind for t in specs],
                        "flag": [t.flag for t in specs],
                        "pending_id": [t.pending_id for t in specs],
                        "references_id": [t.references_id for t in specs],
                        "reference": [t.reference for t in specs],
                        "memo": [t.memo for t in specs],
                        "fingerprint": [t.fingerprint() for t in specs],
                        "amount_fen": [t.amount_fen for t in specs],
                    },
                )
            ).all()
        )
        with_entries = [t for t in specs if t.id in created and t.entries]
        if with_entries:
            await self._copy_accounts({e.account_id for t in with_entries for e in t.entries}, now)
            driver = await self._driver()
            await driver.copy_records_to_table(
                "ledger_entries",
                records=[
                    (t.id, e.account_id, e.amount_fen, e.line_id)
                    for t in with_entries
                    for e in t.entries
                ],
                columns=["transfer_id", "account_id", "amount_fen", "line_id"],
            )
        return created

    async def _driver(self) -> Any:
        """The session's asyncpg connection, in the session's transaction (for COPY)."""
        return await asyncpg_connection(self.session)

    async def _copy_accounts(self, account_ids: set[str], now: datetime) -> None:
        """A batch's accounts by COPY (binary records: no array parameter whose every element
        asyncpg checks against the iterable ABCs) into the session's staging table, then one
        INSERT … SELECT of those missing (in id order, as `ensure_accounts`), or if another
        transaction created one of them meanwhile, the same with ON CONFLICT DO NOTHING."""
        ids = sorted(account_ids)
        await self.session.execute(CREATE_ACCOUNTS_STAGING)
        driver = await self._driver()
        await driver.copy_records_to_table(
            ACCOUNTS_STAGING, records=[(a, account_kind(a)) for a in ids], columns=["id", "kind"]
        )
        try:
            async with self.session.begin_nested():  # a savepoint: the fallback needs it
                await self.session.execute(INSERT_MISSING_STAGED_ACCOUNTS, {"now": now})
        except IntegrityError:  # created meanwhile by a concurrent transaction (now committed)
            await self.session.execute(INSERT_STAGED_ACCOUNTS, {"now": now})
        await self.session.execute(CLEAR_ACCOUNTS_STAGING)  # a second batch in this transaction

    async def funder_debits_of(self, transfer_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per transfer, what it debits each funding level (`funder:<level>:…` accounts): what
        a settlement's pending transfer reserved, what its payment draws from each treasury."""
        rows = await self.session.execute(
            select(ENTRIES.c.transfer_id, ENTRIES.c.account_id, func.sum(ENTRIES.c.amount_fen))
            .where(ENTRIES.c.transfer_id.in_(transfer_ids), ENTRIES.c.account_id.like("funder:%"))
            .group_by(ENTRIES.c.transfer_id, ENTRIES.c.account_id)
        )
        found: dict[str, dict[str, int]] = {}
        for transfer_id, account_id, amount in rows:
            level = account_id.split(":")[1]
            levels = found.setdefault(transfer_id, {})
            levels[level] = levels.get(level, 0) + int(amount)
        return found

    async def flags_of(self, transfer_ids: Sequence[str]) -> dict[str, str]:
        """The flag of each of these transfers that exists."""
        rows = await self.session.execute(
            select(TRANSFERS.c.id, TRANSFERS.c.flag).where(TRANSFERS.c.id.in_(transfer_ids))
        )
        return {transfer_id: flag for transfer_id, flag in rows}

    async def get(self, transfer_id: str) -> TransferSpec | None:
        row = await self.session.get(LedgerTransferRow, transfer_id)
        if row is None:
            return None
        entries = (
            await self.session.execute(
                select(ENTRIES.c.account_id, ENTRIES.c.amount_fen, ENTRIES.c.line_id)
                .where(ENTRIES.c.transfer_id == transfer_id)
                .order_by(ENTRIES.c.id)
            )
        ).all()
        return TransferSpec(
            id=row.id,
            kind=row.kind,
            reference=row.reference,
            memo=row.memo,
            flag=row.flag,  # type: ignore[arg-type]
            entries=tuple(Entry(a, amount, line) for a, amount, line in entries),
            pending_id=row.pending_id,
            references_id=row.references_id,
        )

    async def flag_of(self, transfer_id: str) -> str | None:
        """The transfer's flag (single, pending, post, void), or None when it does not exist."""
        return await self.session.scalar(
            select(TRANSFERS.c.flag).where(TRANSFERS.c.id == transfer_id)
        )

    async def resolution_of(self, pending_id: str) -> str | None:
        """`post` or `void` once the pending transfer is resolved, else None."""
        return await self.session.scalar(
            select(TRANSFERS.c.flag).where(TRANSFERS.c.pending_id == pending_id)
        )

    async def posted_balances(
        self, account_ids: Sequence[str] | None = None
    ) -> list[tuple[str, int]]:
        """Per account: entries of single transfers and of pending ones that were posted."""
        resolution = aliased(LedgerTransferRow)
        posted = exists().where(
            and_(resolution.pending_id == TRANSFERS.c.id, resolution.flag == "post")
        )
        statement = (
            select(ENTRIES.c.account_id, func.sum(ENTRIES.c.amount_fen))
            .join(TRANSFERS, TRANSFERS.c.id == ENTRIES.c.transfer_id)
            .where(or_(TRANSFERS.c.flag == "single", and_(TRANSFERS.c.flag == "pending", posted)))
            .group_by(ENTRIES.c.account_id)
            .order_by(ENTRIES.c.account_id)
        )
        if account_ids is not None:
            statement = statement.where(ENTRIES.c.account_id.in_(account_ids))
        return [(a, int(total)) for a, total in (await self.session.execute(statement)).all()]

    async def pending_balances(self) -> list[tuple[str, int]]:
        resolution = aliased(LedgerTransferRow)
        resolved = exists().where(resolution.pending_id == TRANSFERS.c.id)
        statement = (
            select(ENTRIES.c.account_id, func.sum(ENTRIES.c.amount_fen))
            .join(TRANSFERS, TRANSFERS.c.id == ENTRIES.c.transfer_id)
            .where(and_(TRANSFERS.c.flag == "pending", ~resolved))
            .group_by(ENTRIES.c.account_id)
        )
        return [(a, int(total)) for a, total in (await self.session.execute(statement)).all()]

    async def transfer_sums(self) -> list[tuple[str, int]]:
        """Each transfer's entry sum (all zero in a sound ledger): for reconciliation."""
        statement = select(ENTRIES.c.transfer_id, func.sum(ENTRIES.c.amount_fen)).group_by(
            ENTRIES.c.transfer_id
        )
        return [(t, int(s)) for t, s in (await self.session.execute(statement)).all()]
