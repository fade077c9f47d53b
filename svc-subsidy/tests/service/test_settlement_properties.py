"""Property (hypothesis): any sequence of runs, crashed runs, submissions, approvals, rejections,
late facts, payments and clawbacks over three months leaves the ledger balanced to the fen,
every transfer summing to zero, at most one line per (elder, month, kind), and an adjustment of
a (elder, month, kind) on one open settlement at most (exactly once: see also
`test_bed_adjustment_properties.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.context import RequestContext
from chassis.principal import Principal, Role
from subsidy.bootstrap import create_app
from subsidy.domain.settlement import settlement_id
from subsidy.policies.loader import load_profile
from subsidy.repositories.ledger import LedgerRepository
from subsidy.schemas.settlements import SettlementRun
from subsidy.service import settlement_run
from subsidy.tables import SettlementLineRow, SettlementRow
from subsidy.testing import (
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


def checker() -> dict[str, str]:
    """Minted when used: a token minted at import expires before this test runs in a full suite."""
    return officer("officer-2")


Op = tuple[str, int]
operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["run", "crash", "submit", "approve", "reject", "pay", "late", "claw", "dup"]
        ),
        st.integers(min_value=0, max_value=5),
    ),
    min_size=1,
    max_size=14,
)


@pytest.mark.timeout(600)  # each example builds a fresh app and database
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_any_sequence_keeps_the_ledger_balanced(ops: list[Op]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_scenario(Path(folder), ops))


async def _scenario(folder: Path, ops: list[Op]) -> None:
    clock = ManualClock(datetime(2022, 10, 1, 4, tzinfo=UTC))
    app = create_app(subsidy_settings(f"sqlite+aiosqlite:///{folder}/p.db"), clock=clock)
    # migrations on a loaded box can outlast asgi-lifespan's short default
    async with LifespanManager(app, startup_timeout=300, shutdown_timeout=60):
        for bed in BEDS:
            await seed_bed(app, bed)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            for op, n in ops:
                await _apply(app, client, op, MONTHS[n % len(MONTHS)], n)
                await _check(app, client)


async def _apply(app: Any, client: httpx.AsyncClient, op: str, month: str, n: int) -> None:
    body = {"provider_id": PROVIDER, "jurisdiction": "341800", "period": month}
    stl = settlement_id(PROVIDER, "341800", month)
    if op in ("run", "dup"):
        await client.post("/v1/settlements", json=body, headers=admin())
        if op == "dup":  # a replayed request: must change nothing
            await client.post("/v1/settlements", json=body, headers=admin())
    elif op == "crash":
        await _crashed_run(app, body)
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
    elif op == "late":  # a late package-fee change (renewal) touching every month since July
        await feed(
            app,
            bed_event(
                "bed.contract_renewed",
                bed_id=BEDS[n % 2],
                status="accepted",
                package_fee_fen=40000 + 1000 * n,
                accepted_on=date(2022, 5, 20),
                event_date=date(2022, 7, 1),
                occurred_at=datetime(2022, 9, 1 + n, tzinfo=UTC),
            ),
        )
    elif op == "claw":
        lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()
        items = lines.get("items") or []
        positive = [x for x in items if x["amount_fen"] > 0]
        if positive:
            line = positive[n % len(positive)]
            await client.post(
                f"/v1/settlements/{stl}/lines/{line['id']}/clawback",
                json={"reason": "追回"},
                headers=checker(),
            )


async def _crashed_run(app: Any, body: dict[str, str]) -> None:
    """A run that dies before its commit: nothing of it may remain."""
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
            uow=uow, ctx=ctx, cmd=SettlementRun(**body), profile=load_profile("341800")
        )


async def _check(app: Any, client: httpx.AsyncClient) -> None:
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker())).json()
    assert balance["balanced"], balance
    uow = app.state.runtime.uow()
    async with uow:
        sums = await uow.repo(LedgerRepository).transfer_sums()
        assert all(total == 0 for _, total in sums), sums
        rows = (
            await uow.session.execute(
                select(
                    SettlementRow.period,
                    SettlementRow.status,
                    SettlementLineRow.settlement_id,
                    SettlementLineRow.elder_id,
                    SettlementLineRow.for_period,
                    SettlementLineRow.kind,
                ).join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            )
        ).all()
    per_settlement = Counter((r[2], r[3], r[4], r[5]) for r in rows)
    assert max(per_settlement.values(), default=1) == 1
    regular = Counter((r[3], r[4], r[5]) for r in rows if r[0] == r[4])
    assert max(regular.values(), default=1) == 1
    # an adjustment of a (elder, month, kind) on one open settlement at most (its claim)
    in_flight = Counter(
        (r[3], r[4], r[5]) for r in rows if r[0] != r[4] and r[1] in ("draft", "submitted")
    )
    assert max(in_flight.values(), default=1) == 1, in_flight
