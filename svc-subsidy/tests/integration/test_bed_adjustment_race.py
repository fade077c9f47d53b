"""Two runs of different months racing for one per-bed adjustment on PostgreSQL: the claim's
key decides, one settlement carries it (a late fact about an approved month, paid once)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI

from chassis.clock import ManualClock
from subsidy.testing import JULY, admin, bed_event, feed, officer, seed_bed

pytestmark = pytest.mark.postgres

JULY_CUT_FEN = -8387  # a suspension 21–31 July: 800 × 20/31 yuan instead of the 600 cap


async def test_a_late_adjustment_raced_by_two_months_is_carried_once(
    postgres_app: FastAPI, clock: ManualClock
) -> None:
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as client:
        await seed_bed(postgres_app)
        july = (await client.post("/v1/settlements", json=JULY, headers=admin())).json()["id"]
        await client.post(f"/v1/settlements/{july}/submission", headers=admin())
        approved = await client.post(f"/v1/settlements/{july}/approval", headers=officer())
        assert approved.status_code == 200, approved.text
        for type_, status, moment in (
            ("bed.suspended", "suspended", datetime(2022, 7, 20, 16, 30, tzinfo=UTC)),
            ("bed.resumed", "accepted", datetime(2022, 7, 31, 16, 30, tzinfo=UTC)),
        ):
            event = bed_event(
                type_, status=status, accepted_on=date(2022, 5, 20), occurred_at=moment
            )
            await feed(postgres_app, event)
        clock.set(datetime(2022, 10, 1, 4, tzinfo=UTC))
        august, september = await asyncio.gather(
            client.post("/v1/settlements", json={**JULY, "period": "2022-08"}, headers=admin()),
            client.post("/v1/settlements", json={**JULY, "period": "2022-09"}, headers=officer()),
        )
        assert august.status_code == september.status_code == 200, (august.text, september.text)
        totals = sorted([august.json()["total_fen"], september.json()["total_fen"]])
        assert totals == [60000 + JULY_CUT_FEN, 60000]
        for period in ("2022-09", "2022-08", "2022-09"):  # re-runs keep it where it is
            await client.post("/v1/settlements", json={**JULY, "period": period}, headers=admin())
        listed = (await client.get("/v1/settlements", headers=officer())).json()
        carried = [s["total_fen"] for s in listed["items"] if s["period"] in ("2022-08", "2022-09")]
        assert sorted(carried) == [60000 + JULY_CUT_FEN, 60000]
