"""A change to a day the platform already took goes out by itself as a correction referencing the
original: a visit verified, corrected or voided after the push (records.visits.v1), a 撤床
recorded days after it happened (intake.beds.v1). A day not yet taken needs none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.clock import ManualClock
from chassis.db import UnitOfWork
from chassis.principal import Role
from chassis.testing.apps import app_client
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from reporting.bootstrap import create_app
from reporting.city_platform_stub import StubState, create_stub
from reporting.clients import HttpCityPlatform
from reporting.consumers import handle_bed_event, handle_visit_event
from reporting.domain.delivery import original_batch_id
from reporting.service.delivery import DeliveryConfig, run_daily_push
from reporting.settings import DEV_CITY_PLATFORM_SECRET, Settings
from reporting.testing import T, bed_event, two_providers

PUSH = datetime(2024, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 Shanghai on T+1
LATER = datetime(2024, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Shanghai on T+1


def ops() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s (a long session outlives one)."""
    return principal_headers(Role.OPS, "ops-1")


@dataclass
class World:
    client: httpx.AsyncClient
    clock: ManualClock
    stub: StubState
    push: Callable[[], Awaitable[int]]
    uow: Callable[[], UnitOfWork]

    async def feed(self, handler: Any, envelope: Envelope) -> None:
        async with self.uow() as uow:
            await handler(uow, envelope)
            await uow.commit()

    async def rows(self, provider_id: str) -> list[dict[str, Any]]:
        answer = await self.client.get(
            "/v1/city-reports", params={"provider_id": provider_id}, headers=ops()
        )
        rows: list[dict[str, Any]] = answer.json()
        return rows


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(PUSH)
    owners = two_providers()
    stub_app = create_stub(DEV_CITY_PLATFORM_SECRET, clock=clock)
    outbound = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_app), base_url="http://c")
    platform = HttpCityPlatform(outbound, "http://c/v1/reports", DEV_CITY_PLATFORM_SECRET)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings, clock=clock, sources=owners.sources(), platform=platform)
    async with app_client(app) as client:
        runtime = app.state.runtime

        async def push() -> int:
            return await run_daily_push(
                uow_factory=runtime.uow,
                clock=clock,
                sources=owners.sources(),
                platform=platform,
                config=DeliveryConfig(retry_base_seconds=60, retry_max_seconds=600),
            )

        world = World(client, clock, stub_app.state.stub, push, runtime.uow)
        await world.feed(handle_bed_event, bed_event("a1", "prov-a", "330102"))
        await world.feed(handle_bed_event, bed_event("b1", "prov-b", "341802"))
        yield world
    await outbound.aclose()


def visit_event(type_: str, *, occurred_at: datetime, provider_id: str = "prov-a") -> Envelope:
    return Envelope(
        type=type_,
        source="svc-service-records",
        subject="v-late",
        data={
            "visit_id": "v-late",
            "version": 2 if type_ != "visit.verified" else 1,
            "bed_id": "a1",
            "provider_id": provider_id,
            "elder_id": "el-a1",
            "worker_id": "w-1",
            "worker_role": "caregiver",
            "mode": "on_site",
            "status": "voided" if type_ == "visit.voided" else "verified",
            "check_in_at": "2024-03-01T06:00:00+00:00",
            "check_out_at": "2024-03-01T07:00:00+00:00",
            "service_date": T.isoformat(),
            "service_seconds": 3600,
            "items": ["cleaning"],
            "categories": ["daily_care"],
            "occurred_at": occurred_at.isoformat(),
        },
    )


async def test_a_visit_of_a_day_already_pushed_queues_one_correction(world: World) -> None:
    # verified during T, before the push: the original carries it, no correction
    await world.feed(
        handle_visit_event, visit_event("visit.verified", occurred_at=PUSH.replace(hour=9))
    )
    assert await world.push() == 2
    assert [r["kind"] for r in await world.rows("prov-a")] == ["original"]

    world.clock.set(LATER)
    await world.feed(handle_visit_event, visit_event("visit.corrected", occurred_at=LATER))
    await world.feed(handle_visit_event, visit_event("visit.voided", occurred_at=LATER))
    rows = await world.rows("prov-a")
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("original", "acknowledged"),
        ("correction", "pending"),  # one correction waiting carries both changes
    ]
    assert rows[1]["corrects_batch_id"] == original_batch_id("prov-a", T)
    assert [r["kind"] for r in await world.rows("prov-b")] == ["original"]

    assert await world.push() == 1
    documents = [d for key, d in world.stub.received.items() if key[0] == "prov-a"]
    assert [d["kind"] for d in documents] == ["original", "correction"]
    assert documents[1]["corrects_batch_id"] == original_batch_id("prov-a", T)
    # once that correction is taken, a further change queues another one
    await world.feed(handle_visit_event, visit_event("visit.corrected", occurred_at=LATER))
    assert [r["kind"] for r in await world.rows("prov-a")].count("correction") == 2


async def test_a_late_bed_end_corrects_the_days_already_pushed(world: World) -> None:
    assert await world.push() == 2
    world.clock.set(LATER)
    ended = bed_event("b1", "prov-b", "341802", status="terminated")
    ended = ended.model_copy(
        update={
            "data": {
                **ended.data,
                "event_date": T.isoformat(),
                "reason": "deceased",
                "occurred_at": LATER.isoformat(),
            }
        }
    )
    await world.feed(handle_bed_event, ended)
    rows = await world.rows("prov-b")
    assert [(r["kind"], r["report_date"]) for r in rows] == [
        ("original", T.isoformat()),
        ("correction", T.isoformat()),
    ]
    assert [r["kind"] for r in await world.rows("prov-a")] == ["original"]


async def test_a_lagging_event_still_queues_its_correction_after_the_original(
    world: World,
) -> None:
    assert await world.push() == 2
    lagging = visit_event("visit.corrected", occurred_at=PUSH.replace(minute=0, hour=16))
    await world.feed(handle_visit_event, lagging)  # happened before the push, consumed after
    rows = await world.rows("prov-a")
    assert [r["kind"] for r in rows] == ["original", "correction"]
    assert await world.push() == 1
    assert [r["status"] for r in await world.rows("prov-a")] == ["acknowledged", "acknowledged"]
