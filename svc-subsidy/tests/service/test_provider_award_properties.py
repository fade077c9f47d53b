"""Property (hypothesis): whatever the sequence of runs, crashed runs, submissions, approvals,
rejections, payments and late facts — the platform acceptance recorded (002 §八3) and the beds
that reach the scale award's tier 1 (002 §八2) arriving before or after their month was
closed — each award is on at most one settlement at any time and, once every month is settled,
paid exactly once; the ledger stays balanced to the fen; one line per (elder or provider,
month, kind) in a settlement."""

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
from chassis.testing.principals import principal_headers
from subsidy.bootstrap import create_app
from subsidy.consumers import topic_handlers
from subsidy.domain.settlement import settlement_id
from subsidy.policies.loader import load_profile
from subsidy.repositories.ledger import LedgerRepository
from subsidy.schemas.settlements import SettlementRun
from subsidy.service import settlement_run
from subsidy.tables import SettlementLineRow, SettlementRow
from subsidy.testing import bed_event, subsidy_settings

CHANGNING = "310105"
PROVIDER = "prov-cn"
MONTHS = ("2022-06", "2022-07", "2022-08", "2022-09")
PLATFORM_FEN = 20000000  # 002 §八3, once per provider
TIER_FEN = 30000000  # 002 §八2: 150,000 yuan + the district's 1:1 match


def maker() -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, "admin-cn", provider_id=PROVIDER)


def checker() -> dict[str, str]:
    return principal_headers(Role.OFFICER, "officer-cn", regions=(CHANGNING,))


operations = st.lists(
    st.tuples(
        st.sampled_from(["run", "crash", "submit", "approve", "reject", "pay", "beds", "accept"]),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=16,
)


@pytest.mark.timeout(900)  # each example builds a fresh app and database
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_each_award_is_paid_exactly_once(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_scenario(Path(folder), ops))


async def _scenario(folder: Path, ops: list[tuple[str, int]]) -> None:
    clock = ManualClock(datetime(2022, 10, 1, 4, tzinfo=UTC))
    app = create_app(subsidy_settings(f"sqlite+aiosqlite:///{folder}/a.db"), clock=clock)
    async with LifespanManager(app, startup_timeout=300, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            facts = {"beds": False, "accept": False}
            for op, n in ops:
                await _apply(app, client, op, MONTHS[n], facts)
                await _check(app, client, final=None)
            # every month settled in order once the facts are all known (November: October over)
            clock.set(datetime(2022, 11, 1, 4, tzinfo=UTC))
            for month in (*MONTHS, "2022-10"):
                for op in ("run", "submit", "approve"):
                    await _apply(app, client, op, month, facts)
            await _check(app, client, final=facts)


async def _apply(
    app: Any, client: httpx.AsyncClient, op: str, month: str, facts: dict[str, bool]
) -> None:
    body = {"provider_id": PROVIDER, "jurisdiction": CHANGNING, "period": month}
    stl = settlement_id(PROVIDER, CHANGNING, month)
    if op == "run":
        await client.post("/v1/settlements", json=body, headers=maker())
    elif op == "crash":
        await _crashed_run(app, body)
    elif op == "submit":
        await client.post(f"/v1/settlements/{stl}/submission", headers=maker())
    elif op == "approve":
        await client.post(f"/v1/settlements/{stl}/approval", headers=checker())
    elif op == "reject":
        await client.post(
            f"/v1/settlements/{stl}/rejection", json={"reason": "复核"}, headers=checker()
        )
    elif op == "pay":
        current = (await client.get(f"/v1/settlements/{stl}", headers=maker())).json()
        if "total_fen" in current:
            await client.post(
                f"/v1/settlements/{stl}/payment-confirmation",
                json={"payment_reference": f"B-{month}", "amount_fen": current["total_fen"]},
                headers=checker(),
            )
    elif op == "accept":  # the platform passed acceptance on 12 July: recorded now
        answer = await client.post(
            "/v1/platform-acceptances",
            json={"provider_id": PROVIDER, "jurisdiction": CHANGNING, "accepted_on": "2022-07-12"},
            headers=checker(),
        )
        assert answer.status_code == 200, answer.text  # never refused, late or not
        facts["accept"] = True
    elif op == "beds" and not facts["beds"]:  # 100 elders signed from January: tier 1 in June
        await _feed_beds(app)
        facts["beds"] = True


async def _feed_beds(app: Any) -> None:
    runtime = app.state.runtime
    handler = topic_handlers(runtime.clock)["intake.beds.v1"]
    uow = runtime.uow()
    async with uow:
        for n in range(100):
            await handler(
                uow,
                bed_event(
                    bed_id=f"bed-s{n}",
                    provider_id=PROVIDER,
                    jurisdiction=CHANGNING,
                    contract_start=date(2022, 1, 1),
                    contract_end=date(2022, 12, 31),
                    established_on=date(2022, 1, 1),
                    occurred_at=datetime(2022, 1, 1, 2, tzinfo=UTC),
                ),
            )
        await uow.commit()


async def _crashed_run(app: Any, body: dict[str, str]) -> None:
    """A run that dies before its commit: nothing of it may remain (its claims neither)."""
    uow = app.state.runtime.uow()

    async def crash() -> None:
        raise RuntimeError("crash before commit")

    uow.commit = crash
    ctx = RequestContext(
        principal=Principal(sub="admin-cn", role=Role.PROVIDER_ADMIN, provider_id=PROVIDER),
        now=app.state.runtime.clock(),
        request_id=None,
    )
    with contextlib.suppress(Exception):  # the crash (or a refused run) is the point
        await settlement_run.run_settlement(
            uow=uow, ctx=ctx, cmd=SettlementRun(**body), profile=load_profile(CHANGNING)
        )


async def _check(app: Any, client: httpx.AsyncClient, final: dict[str, bool] | None) -> None:
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker())).json()
    assert balance["balanced"], balance
    uow = app.state.runtime.uow()
    async with uow:
        sums = await uow.repo(LedgerRepository).transfer_sums()
        assert all(total == 0 for _, total in sums), sums
        rows = (
            await uow.session.execute(
                select(
                    SettlementRow.status,
                    SettlementLineRow.settlement_id,
                    SettlementLineRow.elder_id,
                    SettlementLineRow.for_period,
                    SettlementLineRow.kind,
                    SettlementLineRow.amount_fen,
                ).join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            )
        ).all()
    per_settlement = Counter((r[1], r[2], r[3], r[4]) for r in rows)
    assert max(per_settlement.values(), default=1) == 1
    carried: Counter[str] = (
        Counter()
    )  # every settlement, drafts included: an award is on one at most
    paid: Counter[str] = Counter()  # approved or paid settlements
    for status, _, _, _, kind, amount in rows:
        carried[kind] += amount
        if status in ("approved", "paid"):
            paid[kind] += amount
    assert carried["platform"] <= PLATFORM_FEN, carried
    assert carried["scale_award"] <= TIER_FEN, carried
    if final is not None:
        assert paid["platform"] == (PLATFORM_FEN if final["accept"] else 0), paid
        assert paid["scale_award"] == (TIER_FEN if final["beds"] else 0), paid
        assert carried == paid  # every month settled: no draft left carrying anything
