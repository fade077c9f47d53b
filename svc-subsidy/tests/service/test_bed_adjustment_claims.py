"""A per-bed adjustment (a late fact about a settled month) is paid once, whatever the order of
the later months' draft runs, submissions and approvals: each adjustment is claimed by one
settlement (`bed_adjustment_claims`, key bed + month + kind), like the provider-level awards."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from chassis.clock import ManualClock
from subsidy.tables import BedAdjustmentClaimRow, SettlementLineRow, SettlementRow
from subsidy.testing import JULY, admin, bed_event, feed, officer, seed_bed

AUGUST = {**JULY, "period": "2022-08"}
SEPTEMBER = {**JULY, "period": "2022-09"}
OCTOBER = {**JULY, "period": "2022-10"}
JULY_CUT_FEN = -8387  # July now: 800 × 20/31 = 516.13 yuan → −83.87 (a suspension 21–31 July)


async def _run(client: httpx.AsyncClient, body: dict[str, str]) -> dict[str, Any]:
    answer = await client.post("/v1/settlements", json=body, headers=admin())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _close(client: httpx.AsyncClient, stl: str) -> None:
    """Submit (the maker) and approve (another officer)."""
    submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=officer())
    assert approved.status_code == 200, approved.text


async def _late_suspension(app: FastAPI) -> None:
    """A hospital stay 21–31 July reported after July was approved."""
    for type_, status, moment in (
        ("bed.suspended", "suspended", datetime(2022, 7, 20, 16, 30, tzinfo=UTC)),
        ("bed.resumed", "accepted", datetime(2022, 7, 31, 16, 30, tzinfo=UTC)),
    ):
        event = bed_event(type_, status=status, accepted_on=date(2022, 5, 20), occurred_at=moment)
        await feed(app, event)


async def _approved_for_july(app: FastAPI) -> list[tuple[str, str, int]]:
    """(settlement period, kind, amount) of every approved line accounting for July."""
    uow = app.state.runtime.uow()
    async with uow:
        rows = await uow.session.execute(
            select(SettlementRow.period, SettlementLineRow.kind, SettlementLineRow.amount_fen)
            .join(SettlementRow, SettlementRow.id == SettlementLineRow.settlement_id)
            .where(
                SettlementRow.status.in_(("approved", "paid")),
                SettlementLineRow.for_period == "2022-07",
                SettlementLineRow.kind == "low_income_service",
            )
            .order_by(SettlementRow.period)
        )
        return [(p, k, a) for p, k, a in rows]


async def test_two_later_drafts_pay_a_july_adjustment_once(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The sequence that paid twice: August's draft carries July's adjustment, September is run
    as a draft before August is approved, then both are submitted and approved."""
    await seed_bed(app)
    july = await _run(client, JULY)
    await _close(client, july["id"])
    await _late_suspension(app)
    clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))  # both months over: submittable
    august = await _run(client, AUGUST)
    september = await _run(client, SEPTEMBER)
    await _close(client, august["id"])
    await _close(client, september["id"])  # submitted without a re-run
    paid = await _approved_for_july(app)
    assert paid == [
        ("2022-07", "low_income_service", 60000),
        ("2022-08", "low_income_service", JULY_CUT_FEN),
    ]


async def test_the_later_draft_takes_it_when_run_first(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """September runs first and claims July's adjustment; August run afterwards leaves it; the
    approvals in any order pay it once — and a later re-run keeps it where it is."""
    await seed_bed(app)
    july = await _run(client, JULY)
    await _close(client, july["id"])
    await _late_suspension(app)
    clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))
    september = await _run(client, SEPTEMBER)
    august = await _run(client, AUGUST)
    assert august["total_fen"] == 60000  # its own month only
    await _close(client, august["id"])
    september = await _run(client, SEPTEMBER)  # re-run after August's approval: keeps it
    assert september["total_fen"] == 60000 + JULY_CUT_FEN
    await _close(client, september["id"])
    assert await _approved_for_july(app) == [
        ("2022-07", "low_income_service", 60000),
        ("2022-09", "low_income_service", JULY_CUT_FEN),
    ]
    october = await _run(client, OCTOBER)  # nothing left to adjust
    lines = await client.get(f"/v1/settlements/{october['id']}/lines", headers=admin())
    assert {x["for_period"] for x in lines.json()["items"]} == {"2022-10"}


async def test_a_draft_carrying_an_adjustment_it_does_not_hold_is_not_submitted(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A draft from before the claims (migration 0009 claims one carrier per adjustment): its
    submission is refused (409) until it is run again, which leaves the adjustment to the
    holder."""
    await seed_bed(app)
    july = await _run(client, JULY)
    await _close(client, july["id"])
    await _late_suspension(app)
    clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))
    august = await _run(client, AUGUST)
    september = await _run(client, SEPTEMBER)
    uow = app.state.runtime.uow()
    async with uow:  # as if September had carried it before the claims: its claim moves there
        await uow.session.execute(
            update(BedAdjustmentClaimRow).values(settlement_id=september["id"])
        )
        await uow.commit()
    refused = await client.post(f"/v1/settlements/{august['id']}/submission", headers=admin())
    assert refused.status_code == 409, refused.text
    assert "run it again" in refused.json()["detail"]
    august = await _run(client, AUGUST)
    assert august["total_fen"] == 60000
    await _close(client, august["id"])


async def test_a_fact_while_the_month_waits_for_its_checker_is_adjusted_later(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """July submitted, then the late suspension arrives, then July is approved with its old
    lines: August adjusts it (July's mark waits until July is approved)."""
    await seed_bed(app)
    july = await _run(client, JULY)
    submitted = await client.post(f"/v1/settlements/{july['id']}/submission", headers=admin())
    assert submitted.status_code == 200
    await _late_suspension(app)
    clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))
    august = await _run(client, AUGUST)  # July not approved yet: no adjustment
    assert august["total_fen"] == 60000
    approved = await client.post(f"/v1/settlements/{july['id']}/approval", headers=officer())
    assert approved.status_code == 200
    august = await _run(client, AUGUST)
    assert august["total_fen"] == 60000 + JULY_CUT_FEN
    await _close(client, august["id"])
    assert [a for _, _, a in await _approved_for_july(app)] == [60000, JULY_CUT_FEN]


async def test_a_fact_after_a_draft_run_is_adjusted_when_the_draft_goes_unchanged(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """July's draft ran, the suspension arrived, July was submitted and approved without a
    re-run: its lines are older than the fact, so August adjusts it."""
    await seed_bed(app)
    july = await _run(client, JULY)
    await _late_suspension(app)
    await _close(client, july["id"])
    assert july["total_fen"] == 210000
    clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))
    august = await _run(client, AUGUST)
    assert august["total_fen"] == 60000 + JULY_CUT_FEN
    again = await _run(client, SEPTEMBER)
    assert again["total_fen"] == 60000  # August holds it
