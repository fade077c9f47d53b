"""Two runs of different months racing for one provider-level award on PostgreSQL: the claim's
key decides, one settlement carries it (issue 14: a late fact settled once)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.principals import principal_headers

pytestmark = pytest.mark.postgres

PROVIDER = "prov-cn"
BODY = {"provider_id": PROVIDER, "jurisdiction": "310105"}


def maker() -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, "admin-cn", provider_id=PROVIDER)


def checker() -> dict[str, str]:
    return principal_headers(Role.OFFICER, "officer-cn", regions=("310105",))


async def test_a_late_award_raced_by_two_months_is_carried_once(postgres_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as client:
        ran = await client.post(
            "/v1/settlements", json={**BODY, "period": "2022-07"}, headers=maker()
        )
        july = ran.json()["id"]
        await client.post(f"/v1/settlements/{july}/submission", headers=maker())
        approved = await client.post(f"/v1/settlements/{july}/approval", headers=checker())
        assert approved.status_code == 200, approved.text
        late = await client.post(
            "/v1/platform-acceptances",
            json={**BODY, "accepted_on": "2022-07-12"},
            headers=checker(),
        )
        assert late.json()["late"] is True
        # August and September not run yet: either may be the next open month; both race
        august, september = await asyncio.gather(
            client.post("/v1/settlements", json={**BODY, "period": "2022-08"}, headers=maker()),
            client.post("/v1/settlements", json={**BODY, "period": "2022-09"}, headers=checker()),
        )
        assert august.status_code == september.status_code == 200, (august.text, september.text)
        totals = sorted([august.json()["total_fen"], september.json()["total_fen"]])
        assert totals == [0, 20000000]
        # re-runs of both, in either order, keep it where it is
        for period in ("2022-09", "2022-08", "2022-09"):
            await client.post("/v1/settlements", json={**BODY, "period": period}, headers=maker())
        listed = (await client.get("/v1/settlements", headers=checker())).json()
        carried = [s["total_fen"] for s in listed["items"] if s["period"] in ("2022-08", "2022-09")]
        assert sorted(carried) == [0, 20000000]
