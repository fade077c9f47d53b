"""The stored ledger: replays return the original, the same id with other fields is refused,
a pending transfer is posted or voided once, posted rows cannot be changed (SQLite and PostgreSQL),
and on PostgreSQL an unbalanced transfer cannot commit, nor can entries join a transfer recorded
in an earlier transaction (migration 0003: the sum is checked once per transfer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from chassis.db import UnitOfWork
from chassis.errors import Conflict
from subsidy.domain.ledger import Entry, TransferSpec
from subsidy.repositories.ledger import LedgerRepository
from subsidy.service.ledger import record_transfer

NOW = datetime(2022, 8, 1, tzinfo=UTC)
ENTRIES = (Entry("funder:city:341800", 1500), Entry("provider_payable:p", -1500))


def spec(id: str = "t-1", **changes: object) -> TransferSpec:
    values: dict[str, object] = {
        "id": id,
        "kind": "settlement",
        "reference": "stl-1",
        "entries": ENTRIES,
        **changes,
    }
    return TransferSpec(**values)  # type: ignore[arg-type]


async def record(uow: UnitOfWork, transfer: TransferSpec) -> tuple[TransferSpec, bool]:
    async with uow:
        result = await record_transfer(uow.repo(LedgerRepository), transfer, now=NOW)
        await uow.commit()
        return result


async def balances(uow: UnitOfWork) -> dict[str, int]:
    async with uow:
        return dict(await uow.repo(LedgerRepository).posted_balances())


async def test_replay_returns_the_original(app: object) -> None:
    uow_factory = app.state.runtime.uow  # type: ignore[attr-defined]
    stored, created = await record(uow_factory(), spec())
    again, created_again = await record(uow_factory(), spec())
    assert (created, created_again) == (True, False)
    assert again == stored
    with pytest.raises(Conflict):
        await record(uow_factory(), spec(reference="stl-2"))
    assert await balances(uow_factory()) == {
        "funder:city:341800": 1500,
        "provider_payable:p": -1500,
    }


async def test_pending_is_posted_or_voided_once(app: object) -> None:
    uow_factory = app.state.runtime.uow  # type: ignore[attr-defined]
    await record(uow_factory(), spec("p-1", flag="pending"))
    assert await balances(uow_factory()) == {}
    await record(
        uow_factory(),
        TransferSpec("p-1:post", "settlement", "stl-1", flag="post", pending_id="p-1"),
    )
    assert await balances(uow_factory()) == {
        "funder:city:341800": 1500,
        "provider_payable:p": -1500,
    }
    with pytest.raises(Conflict):
        await record(
            uow_factory(),
            TransferSpec("p-1:void", "settlement", "stl-1", flag="void", pending_id="p-1"),
        )


async def test_ledger_rows_are_immutable(app: object) -> None:
    uow_factory = app.state.runtime.uow  # type: ignore[attr-defined]
    await record(uow_factory(), spec())
    for statement in (
        "UPDATE ledger_entries SET amount_fen = 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transfers SET memo = 'x'",
        "DELETE FROM ledger_transfers",
    ):
        with pytest.raises((IntegrityError, DBAPIError)):
            await execute(uow_factory(), statement)


@pytest.mark.postgres
async def test_postgres_refuses_an_unbalanced_transfer_at_commit(postgres_app: object) -> None:
    uow_factory = postgres_app.state.runtime.uow  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError, match="sum to zero"):
        await execute(
            uow_factory(),
            "INSERT INTO ledger_accounts (id, kind, created_at) VALUES "
            "('funder:city:9', 'funder', now()) ON CONFLICT DO NOTHING",
            "INSERT INTO ledger_transfers (id, kind, flag, reference, memo, fingerprint, "
            "amount_fen, created_at) VALUES ('bad', 'x', 'single', 'r', '', 'f', 5, now())",
            "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen) "
            "VALUES ('bad', 'funder:city:9', 5)",
        )


@pytest.mark.postgres
async def test_postgres_checks_a_transfer_split_over_statements_at_commit(
    postgres_app: object,
) -> None:
    """Entries of one transfer in two statements of one transaction: balanced at commit, fine;
    unbalanced, refused at commit."""
    uow_factory = postgres_app.state.runtime.uow  # type: ignore[attr-defined]
    prelude = (
        "INSERT INTO ledger_accounts (id, kind, created_at) VALUES "
        "('funder:city:8', 'funder', now()), ('provider_payable:q', 'provider_payable', now()) "
        "ON CONFLICT DO NOTHING",
    )

    def transfer(id: str, second_fen: int) -> tuple[str, ...]:
        header = (
            "INSERT INTO ledger_transfers (id, kind, flag, reference, memo, fingerprint, "
            "amount_fen, created_at) VALUES (:id, 'x', 'single', 'r', '', 'f', 7, now())"
        )
        entry = "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen) VALUES "
        return (
            *prelude,
            header.replace(":id", repr(id)),
            entry + f"({id!r}, 'funder:city:8', 7)",
            entry + f"({id!r}, 'provider_payable:q', {int(second_fen)})",
        )

    await execute(uow_factory(), *transfer("split-ok", -7))
    with pytest.raises(DBAPIError, match="sum to zero"):
        await execute(uow_factory(), *transfer("split-bad", -6))
    assert await balances(uow_factory()) == {"funder:city:8": 7, "provider_payable:q": -7}


@pytest.mark.postgres
async def test_postgres_refuses_entries_added_to_a_recorded_transfer(
    postgres_app: object,
) -> None:
    """A committed transfer's entries are closed: a balanced pair added later is refused too
    (its transfer's sum was checked at its own commit and would not be checked again)."""
    uow_factory = postgres_app.state.runtime.uow  # type: ignore[attr-defined]
    await record(uow_factory(), spec("closed-1"))
    with pytest.raises(DBAPIError, match="already recorded"):
        await execute(
            uow_factory(),
            "INSERT INTO ledger_entries (transfer_id, account_id, amount_fen) VALUES "
            "('closed-1', 'funder:city:341800', 5), ('closed-1', 'provider_payable:p', -5)",
        )
    assert await balances(uow_factory()) == {
        "funder:city:341800": 1500,
        "provider_payable:p": -1500,
    }


async def execute(uow: UnitOfWork, *statements: str) -> None:
    """Raw SQL in one transaction, committed: what a careless client might try."""
    async with uow:
        for statement in statements:
            await uow.session.execute(text(statement))
        await uow.commit()
