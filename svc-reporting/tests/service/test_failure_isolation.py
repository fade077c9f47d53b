"""One provider's day that cannot be assembled or sent (bad data from an owner, a platform answer
that is not JSON) fails that batch alone: the other providers' reports still go out, the job keeps
running, and the error recorded and logged is a code, never the data (names, ID numbers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.apps import app_client
from chassis.testing.principals import principal_headers
from reporting.bootstrap import create_app
from reporting.city_platform_stub import create_stub
from reporting.clients import HttpCityPlatform
from reporting.consumers import handle_bed_event
from reporting.service.delivery import DeliveryConfig, run_daily_push
from reporting.service.sources import BedFacts
from reporting.settings import DEV_CITY_PLATFORM_SECRET, Settings
from reporting.testing import GOOD_ID, FakeOwners, bed_event, two_providers

PUSH = datetime(2024, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 Shanghai on T+1


def ops() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s (a long session outlives one)."""
    return principal_headers(Role.OPS, "ops-1")


@dataclass
class BrokenIntake(FakeOwners):
    """Answers prov-a with data that breaks assembly (the message carries PII, as a pydantic or
    KeyError message would)."""

    async def beds(self, provider_id: str, day: date) -> list[BedFacts]:
        if provider_id == "prov-a":
            raise ValueError(f"bad bed of 老人a1 {GOOD_ID}")
        return await super().beds(provider_id, day)


async def _world(
    tmp_path: Path, owners: FakeOwners, platform_app: FastAPI
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    clock = ManualClock(PUSH)
    outbound = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform_app), base_url="http://city"
    )
    platform = HttpCityPlatform(outbound, "http://city/v1/reports", DEV_CITY_PLATFORM_SECRET)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings, clock=clock, sources=owners.sources(), platform=platform)
    async with app_client(app) as client:
        runtime = app.state.runtime
        for bed_id, provider, region in (("a1", "prov-a", "330102"), ("b1", "prov-b", "341802")):
            async with runtime.uow() as uow:
                await handle_bed_event(uow, bed_event(bed_id, provider, region))
                await uow.commit()

        async def push() -> int:
            return await run_daily_push(
                uow_factory=runtime.uow,
                clock=clock,
                sources=owners.sources(),
                platform=platform,
                config=DeliveryConfig(retry_base_seconds=60, retry_max_seconds=600),
            )

        yield client, push
    await outbound.aclose()


@pytest.fixture
async def broken_owner(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, object, object]]:
    healthy = two_providers()
    owners = BrokenIntake(
        beds_by_provider=healthy.beds_by_provider,
        devices_by_provider=healthy.devices_by_provider,
        visits_by_provider=healthy.visits_by_provider,
    )
    stub = create_stub(DEV_CITY_PLATFORM_SECRET, clock=ManualClock(PUSH))
    async for client, push in _world(tmp_path, owners, stub):
        yield client, push, stub.state.stub


async def test_bad_data_of_one_provider_does_not_hold_the_others(
    broken_owner: tuple[httpx.AsyncClient, object, object], caplog: pytest.LogCaptureFixture
) -> None:
    client, push, stub = broken_owner
    caplog.set_level("INFO")
    assert await push() == 1  # type: ignore[operator]
    rows = {
        r["provider_id"]: r for r in (await client.get("/v1/city-reports", headers=ops())).json()
    }
    assert rows["prov-b"]["status"] == "acknowledged"
    assert rows["prov-a"]["status"] == "failed"
    assert rows["prov-a"]["last_error"] == "assembly_ValueError"
    assert [key[0] for key in stub.received] == ["prov-b"]  # type: ignore[attr-defined]
    for secret in (GOOD_ID, "老人a1"):
        assert secret not in caplog.text
        assert secret not in str(rows)


@pytest.fixture
async def garbled_platform(
    tmp_path: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, object, list[int]]]:
    platform = FastAPI()
    calls: list[int] = []

    @platform.post("/v1/reports")
    async def garbled(request: Request) -> Response:
        calls.append(1)
        return Response("<html>gateway says hi</html>", media_type="text/html")

    async for client, push in _world(tmp_path, two_providers(), platform):
        yield client, push, calls


async def test_a_200_that_is_not_json_is_a_failed_attempt(
    garbled_platform: tuple[httpx.AsyncClient, object, list[int]],
) -> None:
    client, push, calls = garbled_platform
    assert await push() == 0  # type: ignore[operator]
    assert len(calls) == 2  # both providers tried: neither holds the other
    rows = (await client.get("/v1/city-reports", headers=ops())).json()
    assert {r["status"] for r in rows} == {"failed"}
    assert {r["last_error"] for r in rows} == {"http_200_not_json"}
