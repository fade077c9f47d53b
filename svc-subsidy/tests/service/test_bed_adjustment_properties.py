"""Property (hypothesis): whatever the sequence of draft runs, re-runs, crashed runs,
submissions, approvals, rejections, payments and late per-bed facts (suspensions, package-fee
changes reported after their month was run, submitted or approved) over three months — each
per-bed adjustment is paid exactly once: at any time at most one open settlement carries the
adjustment of a (elder, month, kind), one line per (elder, month, kind) in a settlement and one
month's own line per (elder, month, kind) overall, the ledger balanced to the fen; and once
every month is settled, what the approved settlements paid for each bed and month is what the
final facts give (001 §四(七)2: the low-income service subsidy, pro-rated by active days)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.context import RequestContext
from chassis.principal import Principal, Role
from subsidy.bootstrap import create_app
from subsidy.domain.calculators import calculate_planned, plan_month
from subsidy.domain.periods import Period
from subsidy.domain.settlement import settlement_id
from subsidy.policies.loader import load_profile
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.ledger import LedgerRepository
from subsidy.schemas.settlements import SettlementRun
from subsidy.service import settlement_run
from subsidy.tables import SettlementLineRow, SettlementRow
from subsidy.testing import (
    CITY,
    PROVIDER,
    admin,
    bed_event,
    feed,
    officer,
    seed_bed,
    subsidy_settings,
)

MONTHS = ("2022-07", "2022-08", "2022-09")
BEDS = ("bed-1", "bed-2")
OPEN = ("draft", "submitted")
ACCEPTED = date(2022, 5, 20)


def checker() -> dict[str, str]:
    return officer("officer-2")


operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "run",
                "crash",
                "submit",
                "approve",
                "close",
                "reject",
                "pay",
                "suspend",
                "fee",
                "late",
            ]
        ),
        st.integers(min_value=0, max_value=5),
    ),
    min_size=1,
    max_size=18,
)


@pytest.mark.timeout(900)  # each example builds a fresh app and database
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
# the sequences that paid twice or lost a fact before the claims (always tried):
# August's and September's drafts both carry July's adjustment, both approved
@example(
    ops=[
        ("close", 0),
        ("suspend", 0),
        ("run", 1),
        ("run", 2),
        ("submit", 1),
        ("approve", 1),
        ("submit", 2),
        ("approve", 2),
    ]
)
# September's draft carries it, August is approved after carrying it too
@example(ops=[("close", 0), ("fee", 3), ("run", 2), ("run", 1), ("close", 1), ("submit", 2)])
# a fact while July waits for its checker; a fact after a draft run, submitted unchanged
@example(ops=[("run", 0), ("submit", 0), ("suspend", 0), ("approve", 0)])
@example(ops=[("run", 0), ("suspend", 2), ("submit", 0), ("approve", 0), ("run", 1)])
# a fact stamped before July's run and committed after it: July approved with that run's lines
@example(ops=[("run", 0), ("late", 0), ("submit", 0), ("approve", 0)])
@example(ops=[("suspend", 0), ("run", 0), ("late", 3), ("close", 0)])
def test_each_bed_adjustment_is_paid_exactly_once(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_scenario(Path(folder), ops))


async def _scenario(folder: Path, ops: list[tuple[str, int]]) -> None:
    clock = ManualClock(datetime(2022, 10, 1, 4, tzinfo=UTC))  # July to September are over
    app = create_app(subsidy_settings(f"sqlite+aiosqlite:///{folder}/b.db"), clock=clock)
    async with LifespanManager(app, startup_timeout=300, shutdown_timeout=60):
        for bed in BEDS:
            await seed_bed(app, bed)
        fees = dict.fromkeys(BEDS, 80000)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            for op, n in ops:
                clock.advance(timedelta(minutes=1))  # facts and steps one after the other
                await _apply(app, client, op, n, fees)
                await _check(app, client)
            # every month settled in order once the facts are all known, then October (its
            # run adjusts what is left); November 1st: October is over
            clock.set(datetime(2022, 11, 1, 4, tzinfo=UTC))
            for month in (*MONTHS, "2022-10"):
                for op in ("run", "submit", "approve"):
                    clock.advance(timedelta(minutes=1))
                    await _step(app, client, op, month, 0)
            await _check(app, client)
            await _check_paid_as_due(app)


async def _apply(
    app: Any, client: httpx.AsyncClient, op: str, n: int, fees: dict[str, int]
) -> None:
    bed = BEDS[n % 2]
    month = Period.parse(MONTHS[n % len(MONTHS)])
    now = app.state.runtime.clock()
    if op == "late":  # a fact whose transaction took its time before the last step's
        clock = app.state.runtime.clock
        clock.set(now - timedelta(seconds=90))
        try:
            await _apply(app, client, "suspend" if n % 2 == 0 else "fee", n, fees)
        finally:
            clock.set(now)
    elif op == "suspend":  # a hospital stay of 10–29 in a month, reported now
        for type_, status, day in (
            ("bed.suspended", "suspended", month.first_day + timedelta(days=9)),
            ("bed.resumed", "accepted", month.first_day + timedelta(days=29)),
        ):
            now += timedelta(seconds=1)  # the resumption after the suspension
            event = bed_event(
                type_,
                bed_id=bed,
                status=status,
                package_fee_fen=fees[bed],
                accepted_on=ACCEPTED,
                event_date=day,
                occurred_at=now,
            )
            await feed(app, event)
    elif op == "fee":  # a renewal at another monthly fee, from July
        fees[bed] = 40000 + 1000 * n
        event = bed_event(
            "bed.contract_renewed",
            bed_id=bed,
            status="accepted",
            package_fee_fen=fees[bed],
            accepted_on=ACCEPTED,
            event_date=date(2022, 7, 1),
            occurred_at=now,
        )
        await feed(app, event)
    else:
        await _step(app, client, op, str(month), n)


async def _step(app: Any, client: httpx.AsyncClient, op: str, month: str, n: int) -> None:
    body = {"provider_id": PROVIDER, "jurisdiction": CITY, "period": month}
    stl = settlement_id(PROVIDER, CITY, month)
    if op == "run":
        await client.post("/v1/settlements", json=body, headers=admin())
    elif op == "crash":
        await _crashed_run(app, body)
    elif op == "close":  # run, submit and approve at once
        for step in ("run", "submit", "approve"):
            await _step(app, client, step, month, n)
    elif op == "submit":
        await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    elif op == "approve":
        await client.post(f"/v1/settlements/{stl}/approval", headers=checker())
    elif op == "reject":
        await client.post(
            f"/v1/settlements/{stl}/rejection", json={"reason": "复核"}, headers=checker()
        )
    elif op == "pay":
        current = (await client.get(f"/v1/settlements/{stl}", headers=admin())).json()
        if "total_fen" in current:
            await client.post(
                f"/v1/settlements/{stl}/payment-confirmation",
                json={"payment_reference": f"B{n}", "amount_fen": current["total_fen"]},
                headers=checker(),
            )


async def _crashed_run(app: Any, body: dict[str, str]) -> None:
    """A run that dies before its commit: nothing of it may remain (its claims neither)."""
    uow = app.state.runtime.uow()

    async def crash() -> None:
        raise RuntimeError("crash before commit")

    uow.commit = crash
    ctx = RequestContext(
        principal=Principal(sub="admin-a", role=Role.PROVIDER_ADMIN, provider_id=PROVIDER),
        now=app.state.runtime.clock(),
        request_id=None,
    )
    with contextlib.suppress(Exception):  # the crash (or a refused run) is the point
        await settlement_run.run_settlement(
            uow=uow, ctx=ctx, cmd=SettlementRun(**body), profile=load_profile(CITY)
        )


async def _lines(app: Any) -> list[Any]:
    uow = app.state.runtime.uow()
    async with uow:
        return list(
            (
                await uow.session.execute(
                    select(
                        SettlementRow.status,
                        SettlementRow.period,
                        SettlementLineRow.settlement_id,
                        SettlementLineRow.bed_id,
                        SettlementLineRow.elder_id,
                        SettlementLineRow.for_period,
                        SettlementLineRow.kind,
                        SettlementLineRow.amount_fen,
                    ).join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
                )
            ).all()
        )


async def _check(app: Any, client: httpx.AsyncClient) -> None:
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker())).json()
    assert balance["balanced"], balance
    uow = app.state.runtime.uow()
    async with uow:
        sums = await uow.repo(LedgerRepository).transfer_sums()
        assert all(total == 0 for _, total in sums), sums
    rows = await _lines(app)
    per_settlement = Counter((r.settlement_id, r.elder_id, r.for_period, r.kind) for r in rows)
    assert max(per_settlement.values(), default=1) == 1
    own = Counter((r.elder_id, r.for_period, r.kind) for r in rows if r.period == r.for_period)
    assert max(own.values(), default=1) == 1, own
    in_flight = Counter(
        (r.elder_id, r.for_period, r.kind)
        for r in rows
        if r.period != r.for_period and r.status in OPEN
    )
    assert max(in_flight.values(), default=1) == 1, in_flight  # one open carrier at most


async def _check_paid_as_due(app: Any) -> None:
    """Every month settled: per bed and month, the approved low-income lines (its own and its
    adjustments) add up to what the final facts give; no other kind was adjusted."""
    rows = await _lines(app)
    assert all(r.status in ("approved", "paid") for r in rows)
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        if r.kind == "low_income_service":
            paid[(r.bed_id, r.for_period)] += r.amount_fen
        else:
            assert r.for_period == r.period, r
    profile = load_profile(CITY)
    uow = app.state.runtime.uow()
    async with uow:
        facts = uow.repo(FactsRepository)
        beds = await facts.beds_in(CITY, [PROVIDER])
        suspensions = await facts.suspensions_in(CITY, [PROVIDER])
    for bed in beds:
        for month in MONTHS:
            bed_facts = bed.facts(suspensions.get(bed.bed_id, ()), 0, None)
            due = sum(
                line.amount_fen
                for line in calculate_planned(
                    plan_month(profile, Period.parse(month)), bed_facts
                ).lines
                if line.kind == "low_income_service"
            )
            assert paid[(bed.bed_id, month)] == due, (bed.bed_id, month, paid, due)
