"""A settlement's approval closes exactly the re-opened marks its last run read, at the revision
it read — never by comparing clocks. A fact's transaction may take its time before a run's and
commit after it (the consumer stamps the fact when it handles it, the commit comes later): that
run has not seen the fact, so its approval must leave the mark open and the next month adjusts
(the issue's "late facts after approval become adjustments in the next period").

The fact and the run are two transactions (two sessions) ordered by explicit commits, no sleeps:
on SQLite (one writer at a time) the fact's transaction takes its time first and writes after
the run committed; on PostgreSQL its writes are also made before the run and left uncommitted
while the run reads and commits, or committed between the run's reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS
from subsidy.consumers import topic_handlers
from subsidy.repositories.facts import FactsRepository
from subsidy.tables import SettlementLineRow, SettlementRow
from subsidy.testing import JULY, admin, bed_event, feed, officer, seed_bed

AUGUST = {**JULY, "period": "2022-08"}
RUN_1 = datetime(2022, 8, 1, 4, 0, tzinfo=UTC)
FACT_TAKEN = datetime(2022, 8, 1, 4, 2, tzinfo=UTC)  # the fact's transaction reads its clock
RUN_2 = datetime(2022, 8, 1, 4, 3, tzinfo=UTC)  # then July is run again, and commits first
AFTER = datetime(2022, 10, 1, 4, tzinfo=UTC)  # August is over


def _suspension(day: int) -> Envelope:
    """July's hospital stay from the `day`th (its Shanghai midnight)."""
    return bed_event(
        "bed.suspended",
        status="suspended",
        accepted_on=date(2022, 5, 20),
        occurred_at=datetime(2022, 7, day - 1, 16, 30, tzinfo=UTC),
    )


def _resumption(day: int) -> Envelope:
    return bed_event(
        "bed.resumed",
        status="accepted",
        accepted_on=date(2022, 5, 20),
        occurred_at=datetime(2022, 7, day - 1, 16, 30, tzinfo=UTC),
    )


# (facts fed before the run, facts of the late transaction, what July's approved lines of
# the low-income service subsidy add up to, line by line, once August adjusted it)
CASES = {
    # no open mark on July: the late transaction makes one (800 yuan × 20/31 = 516.13)
    "new mark": ([], [_suspension(21), _resumption(32)], [60000, -8387]),
    # July's mark is open (a suspension from the 21st, the run sees it); the late resumption on
    # the 26th moves that mark: 26 active days, capped at 600 yuan
    "moved mark": ([_suspension(21)], [_resumption(26)], [51613, 8387]),
}


async def _run(client: httpx.AsyncClient, body: dict[str, str]) -> dict[str, Any]:
    answer = await client.post("/v1/settlements", json=body, headers=admin())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _close(client: httpx.AsyncClient, stl: str) -> None:
    submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=officer("officer-2"))
    assert approved.status_code == 200, approved.text


async def _approved_for_july(app: FastAPI) -> list[int]:
    uow = app.state.runtime.uow()
    async with uow:
        rows = await uow.session.execute(
            select(SettlementLineRow.amount_fen)
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(
                SettlementRow.status.in_(("approved", "paid")),
                SettlementLineRow.for_period == "2022-07",
                SettlementLineRow.kind == "low_income_service",
            )
            .order_by(SettlementRow.period)
        )
        return list(rows.scalars())


class LateFact:
    """A consumer's transaction stamped at FACT_TAKEN: `write` applies its events (handlers of
    the service, its own session), `commit` commits them."""

    def __init__(self, app: FastAPI, events: list[Envelope]) -> None:
        self.uow = app.state.runtime.uow()
        self.handler = topic_handlers(ManualClock(FACT_TAKEN))[INTAKE_BEDS.name]
        self.events = events

    async def write(self) -> None:
        for envelope in self.events:
            await self.handler(self.uow, envelope)

    async def commit(self) -> None:
        await self.uow.commit()


async def _then_august_adjusts_july(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, due: list[int]
) -> None:
    july = "stl-341800-2022-07-prov-a"
    clock.set(datetime(2022, 8, 1, 4, 4, tzinfo=UTC))
    await _close(client, july)  # July approved with the lines of the run that missed the fact
    clock.set(AFTER)
    august = await _run(client, AUGUST)
    await _close(client, august["id"])
    assert await _approved_for_july(app) == due


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_fact_stamped_before_a_run_and_committed_after_it_is_adjusted_later(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, case: str
) -> None:
    """The fact's transaction takes its time before July's second run and commits after it;
    July is approved with that run's lines: its approval leaves the fact's mark open (a new
    mark, or an open mark the fact moved), August adjusts July."""
    before, late, due = CASES[case]
    await seed_bed(app)
    await _run(client, JULY)  # July's settlement exists: a fact about July marks it
    clock.set(datetime(2022, 8, 1, 4, 1, tzinfo=UTC))
    for envelope in before:
        await feed(app, envelope)
    fact = LateFact(app, late)
    async with fact.uow:
        clock.set(RUN_2)
        await _run(client, JULY)  # another session: commits before the fact
        await fact.write()
        await fact.commit()
    await _then_august_adjusts_july(app, client, clock, due)


@pytest.mark.postgres
@pytest.mark.parametrize("commit_point", ["after the run", "between the run's reads"])
async def test_a_fact_uncommitted_while_the_run_reads_is_adjusted_later(
    postgres_app: FastAPI,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    commit_point: str,
) -> None:
    """PostgreSQL: the fact's rows (snapshot, suspension, a new mark on July) are written and
    left uncommitted while July's second run reads; the fact commits after the run, or while it
    runs — after it read the beds and their suspensions, before the rest of its reads. Either way the run did
    not see the fact: its approval leaves the mark open, August adjusts July."""
    app = postgres_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as client:
        await seed_bed(app)
        await _run(client, JULY)
        fact = LateFact(app, [_suspension(21), _resumption(32)])
        async with fact.uow:
            await fact.write()
            if commit_point == "between the run's reads":
                _after_suspensions_read(monkeypatch, fact.commit)
            clock.set(RUN_2)
            july = await _run(client, JULY)
            assert july["total_fen"] == 210000  # the run did not see the fact
            if commit_point == "after the run":
                await fact.commit()
        await _then_august_adjusts_july(app, client, clock, [60000, -8387])


def _after_suspensions_read(
    monkeypatch: pytest.MonkeyPatch, then: Callable[[], Awaitable[None]]
) -> None:
    """Run `then` once, right after the next run has read the beds' suspensions."""
    suspensions_in = FactsRepository.suspensions_in
    done: list[bool] = []

    async def reading(self: FactsRepository, *args: Any, **kwargs: Any) -> Any:
        rows = await suspensions_in(self, *args, **kwargs)
        if not done:
            done.append(True)
            await then()
        return rows

    monkeypatch.setattr(FactsRepository, "suspensions_in", reading)
