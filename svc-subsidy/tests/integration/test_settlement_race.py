"""Two settlement runs racing on PostgreSQL give one settlement with one set of lines."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from subsidy.testing import JULY, admin, officer, seed_bed

pytestmark = pytest.mark.postgres


async def test_two_runs_racing_give_one_result(postgres_app: FastAPI) -> None:
    await seed_bed(postgres_app)
    transport = httpx.ASGITransport(app=postgres_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as client:
        first, second = await asyncio.gather(
            client.post("/v1/settlements", json=JULY, headers=admin()),
            client.post("/v1/settlements", json=JULY, headers=officer()),
        )
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
        assert first.json()["lines_digest"] == second.json()["lines_digest"]
        assert {first.json()["run_no"], second.json()["run_no"]} == {1, 2}
        listed = (await client.get("/v1/settlements", headers=officer())).json()
        assert listed["total"] == 1
        stl = first.json()["id"]
        lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()
        assert [x["kind"] for x in lines["items"]] == ["construction", "low_income_service"]
