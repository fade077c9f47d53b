"""The internal read svc-reporting calls for 000 附件1 服务详情: a provider's verified visits of one
Shanghai day with the worker's name and the reporting categories; only the service principal (role
ops + scope city_report) may call it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from service_records.testing import BED, add_worker, admin, bed_event, caregiver, feed

ROUTE = "/internal/v1/city-report/visits"
HOME = {"lat": 30.9400, "lon": 118.7500, "accuracy_m": 8}


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


def service() -> dict[str, str]:
    return as_principal(sub="svc-reporting", role=Role.OPS, scopes=("city_report",))


def capture(at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "location": HOME, "method": "gps"}


async def verified_visit(client: httpx.AsyncClient, start: datetime, end: datetime) -> str:
    opened = await client.post(
        "/v1/visits",
        json={
            "bed_id": BED,
            "check_in": capture(start),
            "items": ["cleaning", "medication_reminder"],
            "caregiver_present": True,
        },
        headers=caregiver(),
    )
    assert opened.status_code == 201, opened.text
    closed = await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={"check_out": capture(end)},
        headers=caregiver(),
    )
    assert closed.json()["status"] == "verified", closed.text
    visit_id: str = opened.json()["id"]
    return visit_id


async def ready(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, bed_event())
    located = await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 30.94, "longitude": 118.75}, headers=admin()
    )
    assert located.status_code == 200, located.text
    await add_worker(client, sub="cg-1")


async def test_verified_visits_of_the_day_with_worker_and_categories(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    start = datetime(2022, 6, 1, 1, 15, 12, tzinfo=UTC)  # 09:15:12 Shanghai
    end = datetime(2022, 6, 1, 2, 15, 12, tzinfo=UTC)
    visit_id = await verified_visit(client, start, end)
    # still open at the report: not verified, not reported
    opened = await client.post(
        "/v1/visits",
        json={"bed_id": BED, "check_in": capture(datetime(2022, 6, 1, 3, tzinfo=UTC))},
        headers=caregiver(),
    )
    assert opened.status_code == 201, opened.text

    answer = await client.get(
        ROUTE, params={"provider_id": "prov-a", "day": "2022-06-01"}, headers=service()
    )
    assert answer.status_code == 200, answer.text
    visits = answer.json()["visits"]
    assert len(visits) == 1
    visit = visits[0]
    assert visit["visit_id"] == visit_id
    assert visit["bed_id"] == BED
    assert visit["worker_name"] == "worker cg-1"
    assert visit["mode"] == "on_site"
    assert visit["categories"] == ["daily_care", "health_management"]
    assert datetime.fromisoformat(visit["start"]) == start
    assert datetime.fromisoformat(visit["end"]) == end

    for provider, day in (("prov-a", "2022-05-31"), ("prov-b", "2022-06-01")):
        other = await client.get(
            ROUTE, params={"provider_id": provider, "day": day}, headers=service()
        )
        assert other.json()["visits"] == []


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"sub": "ops-1", "role": Role.OPS}, 403),
        (
            {
                "sub": "admin-1",
                "role": Role.PROVIDER_ADMIN,
                "provider_id": "prov-a",
                "scopes": ("city_report",),
            },
            403,
        ),
        ({"sub": "admin-1", "role": Role.PROVIDER_ADMIN, "provider_id": "prov-a"}, 403),
        ({"sub": "cg-1", "role": Role.CAREGIVER, "provider_id": "prov-a"}, 403),
        ({"sub": "off-1", "role": Role.OFFICER, "region_codes": ("341800",)}, 403),
        ({"sub": "fam-1", "role": Role.FAMILY}, 403),
        (None, 401),
    ],
)
async def test_only_the_service_principal_may_call(
    client: httpx.AsyncClient, claims: dict[str, Any] | None, status: int
) -> None:
    headers = as_principal(**claims) if claims else {}
    answer = await client.get(
        ROUTE, params={"provider_id": "prov-a", "day": "2022-06-01"}, headers=headers
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
