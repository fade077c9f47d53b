"""A batch creates the accounts it lacks by a plain INSERT (no speculative insertion per row);
when a concurrent transaction creates one of them first, the batch waits for it, then falls
back to ON CONFLICT DO NOTHING within its own transaction: both commit, each account once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from subsidy.bootstrap import MIGRATIONS
from subsidy.domain.ledger import Entry, TransferSpec
from subsidy.repositories.ledger import LedgerRepository

pytestmark = pytest.mark.postgres

NOW = datetime(2022, 8, 3, tzinfo=UTC)
RACED = "elder_voucher:elder-raced"


def settlement(n: int) -> TransferSpec:
    return TransferSpec(
        id=f"t-{n}",
        kind="settlement",
        reference=f"stl-{n}",
        entries=(
            Entry("funder:district:330326", 500),
            Entry(RACED, -500),
            Entry(RACED, 500),
            Entry(f"elder_voucher:elder-{n}", -500),
        ),
    )


async def test_an_account_created_meanwhile_does_not_fail_the_batch(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        async with AsyncSession(engine) as first, AsyncSession(engine) as batch:
            await first.execute(
                text(
                    "INSERT INTO ledger_accounts (id, kind, created_at) "
                    "VALUES (:id, 'elder_voucher', :now)"
                ),
                {"id": RACED, "now": NOW},
            )  # not committed yet: the batch's insert of the same key must wait for it
            await batch.execute(text("SELECT 1"))
            batch_pid = await batch.scalar(text("SELECT pg_backend_pid()"))
            writing = asyncio.create_task(
                LedgerRepository(batch).insert_transfers([settlement(1)], NOW)
            )
            for _ in range(1000):  # until the batch waits on the first one's row (≤ 10 s)
                waiting = await first.scalar(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": batch_pid},
                )
                if waiting == "Lock" or writing.done():
                    break
                await asyncio.sleep(0.01)
            assert waiting == "Lock", "the batch never waited for the concurrent account"
            await first.commit()
            assert await writing == {"t-1"}
            await batch.commit()
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, count(*) FROM ledger_accounts GROUP BY id ORDER BY id")
                )
            ).all()
            entries = await connection.scalar(
                text("SELECT count(*) FROM ledger_entries WHERE transfer_id = 't-1'")
            )
        assert [tuple(row) for row in rows] == [
            ("elder_voucher:elder-1", 1),
            (RACED, 1),
            ("funder:district:330326", 1),
        ]
        assert entries == 4
    finally:
        await engine.dispose()


async def test_a_batch_creates_only_the_missing_accounts(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        for n in (1, 2):  # the second batch finds the funder's and the raced elder's accounts
            async with AsyncSession(engine) as session, session.begin():
                assert await LedgerRepository(session).insert_transfers([settlement(n)], NOW) == {
                    f"t-{n}"
                }
        async with engine.connect() as connection:
            created = (
                await connection.execute(
                    text("SELECT id, created_at FROM ledger_accounts ORDER BY id")
                )
            ).all()
        assert [row[0] for row in created] == [
            "elder_voucher:elder-1",
            "elder_voucher:elder-2",
            RACED,
            "funder:district:330326",
        ]
    finally:
        await engine.dispose()
