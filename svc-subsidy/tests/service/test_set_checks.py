"""Migration 0006: where lines and ledger entries point is checked per statement (PostgreSQL:
statement triggers over the new rows; SQLite: row triggers), no longer by per-row foreign keys —
an entry of an unknown account or transfer, a line of an unknown settlement are still refused,
and ledger accounts cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from subsidy.bootstrap import MIGRATIONS

NOW = datetime(2022, 8, 3, tzinfo=UTC)
TRANSFER = (
    "INSERT INTO ledger_transfers (id, kind, flag, reference, memo, fingerprint, amount_fen, "
    "created_at) VALUES ('t-1', 'settlement', 'single', 'r', '', 'f', 5, :now)"
)
ACCOUNTS = (
    "INSERT INTO ledger_accounts (id, kind, created_at) VALUES "
    "('funder:city:341800', 'funder', :now), ('provider_payable:p', 'provider_payable', :now)"
)
ENTRIES = (
    "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen) VALUES "
    "(:transfer, 'funder:city:341800', 5), (:transfer, :account, -5)"
)
LINE = (
    "INSERT INTO settlement_lines (id, settlement_id, position, bed_id, elder_id, for_period, "
    "kind, rule, seed, payee, amount_fen, funding, explanation) VALUES ('ln-1', :settlement, 0, "
    "'b', 'e', '2022-07', 'operating', 'r', 's', 'provider', 5, 'city=5', 'x')"
)
SETTLEMENT = (
    "INSERT INTO settlements (id, provider_id, jurisdiction, period, status, policy_version, "
    "run_no, submission_no, lines_digest, line_count, total_fen, ran_at, ran_by) VALUES "
    "('stl-1', 'p', '341800', '2022-07', 'draft', 'v', 1, 0, 'd', 1, 5, :now, 'me')"
)
REFUSED = (IntegrityError, DBAPIError)


async def refused(engine: AsyncEngine, *statements: tuple[str, dict[str, object]]) -> bool:
    """Whether the database refuses the transaction of these statements (rolled back)."""
    try:
        async with engine.begin() as connection:
            for sql, values in statements:
                await connection.execute(text(sql), values)
    except REFUSED:
        return True
    return False


async def test_the_sets_are_checked(database_url: str) -> None:
    engine = create_engine(database_url)
    now = {"now": NOW}
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        for transfer, account in (
            ("t-1", "provider_payable:nobody"),
            ("t-0", "provider_payable:p"),
        ):
            entries = {"transfer": transfer, "account": account}
            assert await refused(engine, (ACCOUNTS, now), (TRANSFER, now), (ENTRIES, entries))
        good = {"transfer": "t-1", "account": "provider_payable:p"}
        assert not await refused(engine, (ACCOUNTS, now), (TRANSFER, now), (ENTRIES, good))
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            assert await refused(engine, ("DELETE FROM ledger_accounts", {}))

        assert await refused(engine, (LINE, {"settlement": "stl-none"}))
        assert not await refused(engine, (SETTLEMENT, now), (LINE, {"settlement": "stl-1"}))
        if postgres:
            assert await refused(engine, ("DELETE FROM settlements", {}))
    finally:
        await engine.dispose()


async def test_the_sqlite_ledger_keeps_its_triggers(database_url: str) -> None:
    """The rebuilt tables of 0006 and the index dropped by 0007 leave the ledger's guards."""
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        if engine.dialect.name != "sqlite":
            return
        async with engine.connect() as connection:
            names = set(
                (
                    await connection.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                    )
                ).scalars()
            )
        assert {
            "ledger_entries_no_update",
            "ledger_entries_no_delete",
            "ledger_transfers_no_update",
            "ledger_transfers_no_delete",
            "ledger_entries_known",
            "settlement_lines_known",
        } <= names
    finally:
        await engine.dispose()
