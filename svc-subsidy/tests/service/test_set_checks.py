"""Migration 0006: where lines and ledger entries point is checked per statement (PostgreSQL:
statement triggers over the new rows; SQLite: row triggers), no longer by per-row foreign keys —
an entry of an unknown account or transfer, a line of an unknown settlement are still refused,
and ledger accounts cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
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


# Migration 0011: the PostgreSQL checks look each distinct transfer up once and anti-join the
# accounts in a plan made for the statement's size. A county-sized statement (here 40 transfers,
# 4,000 entries) and a three-entry one on the same connection, each with one stray, both refused.
BIG_ACCOUNTS = (
    "INSERT INTO ledger_accounts (id, kind, created_at) "
    "SELECT 'elder_voucher:e-' || n, 'elder_voucher', :now FROM generate_series(0, 1999) n"
)
BIG_TRANSFERS = (
    "INSERT INTO ledger_transfers (id, kind, flag, reference, memo, fingerprint, amount_fen, "
    "created_at) SELECT :prefix || n, 'settlement', 'single', 'r', '', 'f', 0, :now "
    "FROM generate_series(0, 39) n"
)
# each elder's account credited then debited within a transfer (the voucher pass-through)
BIG_ENTRIES = (
    "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen) "
    "SELECT :prefix || (n % 40), 'elder_voucher:e-' || n, 100 FROM generate_series(0, 1999) n "
    "UNION ALL SELECT :prefix || (n % 40), 'elder_voucher:e-' || n, -100 "
    "FROM generate_series(0, 1999) n "
    "UNION ALL SELECT :stray_transfer, :stray_account, 0"
)


@pytest.mark.postgres
async def test_county_sized_statements_are_checked(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    now = {"now": NOW}
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        async with engine.begin() as connection:
            await connection.execute(text(BIG_ACCOUNTS), now)

        async def written(prefix: str, stray_transfer: str, stray_account: str) -> str:
            """'' when the batch is written, else the database's refusal."""
            values = {"prefix": prefix, "stray_transfer": stray_transfer}
            try:
                async with engine.begin() as connection:
                    await connection.execute(text(BIG_TRANSFERS), {**now, "prefix": prefix})
                    await connection.execute(
                        text(BIG_ENTRIES), {**values, "stray_account": stray_account}
                    )
            except REFUSED as error:
                return str(error.orig)
            return ""

        assert await written("a-", "a-7", "elder_voucher:e-1") == ""
        refusal = await written("b-", "b-7", "elder_voucher:nobody")
        assert "unknown account elder_voucher:nobody" in refusal
        refusal = await written("c-", "c-nothing", "elder_voucher:e-1")
        assert "unknown transfer c-nothing" in refusal
        refusal = await written("d-", "a-3", "elder_voucher:e-1")  # a-3: recorded above
        assert "transfer a-3 is already recorded" in refusal
        # a three-entry statement after the county-sized ones: planned for its own size
        entries = {"transfer": "t-1", "account": "provider_payable:nobody"}
        assert await refused(engine, (ACCOUNTS, now), (TRANSFER, now), (ENTRIES, entries))
        async with engine.connect() as connection:
            written_rows = await connection.scalar(
                text("SELECT count(*) FROM ledger_entries WHERE transfer_id LIKE '%-%'")
            )
            total = await connection.scalar(text("SELECT sum(amount_fen) FROM ledger_entries"))
        assert (written_rows, total) == (4001, 0)  # batch a only
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_county_of_lines_is_checked(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    lines = (
        "INSERT INTO settlement_lines (id, settlement_id, position, bed_id, elder_id, "
        "for_period, kind, rule, seed, payee, amount_fen, funding, explanation) "
        "SELECT 'ln-' || n, CASE WHEN n = 2999 THEN :stray ELSE 'stl-1' END, n, 'b', "
        "'e-' || n, '2022-07', 'operating', 'r', 's', 'provider', 5, 'city=5', 'x' "
        "FROM generate_series(0, 2999) n"
    )
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        assert not await refused(engine, (SETTLEMENT, {"now": NOW}))
        assert await refused(engine, (lines, {"stray": "stl-none"}))
        assert not await refused(engine, (lines, {"stray": "stl-1"}))
    finally:
        await engine.dispose()
