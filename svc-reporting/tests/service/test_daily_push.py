"""The T+1 push through the app: a driven clock triggers it at 01:00 Shanghai; the stub checks
signatures and the JSON Schema and keeps what it got; failures retry in date order; corrections;
the officer's view scoped by region."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.clock import ManualClock
from chassis.db import UnitOfWork
from chassis.principal import Role
from chassis.testing.apps import app_client
from chassis.testing.principals import principal_headers
from reporting.bootstrap import create_app
from reporting.city_platform_stub import StubState, create_stub
from reporting.clients import HttpCityPlatform
from reporting.consumers import handle_bed_event
from reporting.service.delivery import DeliveryConfig, run_daily_push
from reporting.settings import DEV_CITY_PLATFORM_SECRET, Settings
from reporting.testing import BAD_ID, GOOD_ID, FakeOwners, bed_event, two_providers

# 2024-03-02 00:59 Shanghai
BEFORE_PUSH = datetime(2024, 3, 1, 16, 59, tzinfo=UTC)


def ops() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s (a long session outlives one)."""
    return principal_headers(Role.OPS, "ops-1")


@dataclass
class World:
    client: httpx.AsyncClient
    clock: ManualClock
    owners: FakeOwners
    stub: StubState
    stub_client: httpx.AsyncClient
    push: Callable[[], Any]
    uow: Callable[[], UnitOfWork]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(BEFORE_PUSH)
    owners = two_providers()
    stub_app = create_stub(DEV_CITY_PLATFORM_SECRET, clock=clock)
    stub_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stub_app), base_url="http://city"
    )
    platform = HttpCityPlatform(stub_client, "http://city/v1/reports", DEV_CITY_PLATFORM_SECRET)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,  # the test drives the job itself, on its clock
    )
    app = create_app(settings, clock=clock, sources=owners.sources(), platform=platform)
    async with app_client(app) as client:
        runtime = app.state.runtime
        for bed_id, provider, region in (
            ("a1", "prov-a", "330102"),
            ("a2", "prov-a", "330102"),
            ("b1", "prov-b", "341802"),
        ):
            async with runtime.uow() as uow:
                await handle_bed_event(uow, bed_event(bed_id, provider, region))
                await uow.commit()
        config = DeliveryConfig(retry_base_seconds=60, retry_max_seconds=600)

        async def push() -> int:
            return await run_daily_push(
                uow_factory=runtime.uow,
                clock=clock,
                sources=owners.sources(),
                platform=platform,
                config=config,
            )

        yield World(client, clock, owners, stub_app.state.stub, stub_client, push, runtime.uow)
    await stub_client.aclose()


async def test_nothing_before_0100_then_exactly_annex1_for_each_provider(world: World) -> None:
    assert await world.push() == 0
    assert world.stub.received == {}
    world.clock.advance(timedelta(minutes=1))
    assert await world.push() == 2
    docs = {d["provider_id"]: d for d in (await world.stub_client.get("/received")).json()}
    assert set(docs) == {"prov-a", "prov-b"}
    a = docs["prov-a"]
    assert a["report_date"] == "2024-03-01"
    assert a["kind"] == "original"
    first, second = a["basic_info"]
    assert first == {
        "bed_ref": "a1",
        "name": "老人a1",
        "id_number": GOOD_ID,
        "hukou_address": {
            "province_code": "330000",
            "city_code": "330100",
            "county_code": "330102",
            "detail": "解放路1号",
        },
        "bed_address": {
            "province_code": "330000",
            "city_code": "330100",
            "county_code": "330102",
            "detail": "解放路1号101室",
        },
        "ability_result": "中度",
        "economic_situation": "低保",
        "established_on": "2024-03-01",
        "problems": [],
    }
    # legacy ID failing its check digit: reported, flagged
    assert second["id_number"] == BAD_ID
    assert second["problems"] == ["id_number_checksum"]
    assert a["smart_devices"] == [
        {
            "bed_ref": "a1",
            "devices": [
                {"count": 1, "name": "烟雾感应器"},
                {"count": 1, "name": "紧急呼叫设备（按键报警器）"},
            ][::-1]
            if False
            else [
                {"name": "烟雾感应器", "count": 2},
                {"name": "紧急呼叫设备（按键报警器）", "count": 1},
            ],
        }
    ]
    assert a["aging_friendly_devices"][0] == {
        "bed_ref": "a1",
        "devices": [{"name": "扶手", "count": 2}],
    }
    assert a["operations"]["operating_beds"] == 2
    assert a["operations"]["beds"][0] == {
        "bed_ref": "a1",
        "monthly_visits": 30,
        "monthly_fee_yuan": "800.00",
    }
    assert [(d["service_item"], d["start_time"], d["end_time"]) for d in a["service_details"]] == [
        ("生活照料", "2024-03-01 09:15:12", "2024-03-01 10:15:12"),
        ("健康管理", "2024-03-01 09:15:12", "2024-03-01 10:15:12"),
    ]
    assert a["service_details"][0]["elder_name"] == "老人a1"
    assert a["service_details"][0]["worker_name"] == "张护工"
    assert {c["change"] for c in a["bed_changes"]} == {"建床"}
    assert len(a["agreements"]) == 2
    assert world.stub.rejected == []
    listed = (await world.client.get("/v1/city-reports", headers=ops())).json()
    assert {r["status"] for r in listed} == {"acknowledged"}
    assert all(r["on_time"] for r in listed)
    # the job again: nothing new is sent
    assert await world.push() == 0


async def test_platform_down_backlog_drains_in_date_order(world: World) -> None:
    await world.stub_client.post("/control", json={"mode": "status", "status": 503, "count": 1000})
    world.clock.advance(timedelta(minutes=1))
    await world.push()
    world.clock.advance(timedelta(days=1))  # down all of T+1: day T is late, T+1 is due
    await world.push()
    listed = (await world.client.get("/v1/city-reports?provider_id=prov-a", headers=ops())).json()
    assert [r["status"] for r in listed] == ["late", "pending"]  # T+1 waits behind T
    assert world.stub.received == {}
    await world.stub_client.post("/control", json={"mode": "ok"})
    world.clock.advance(timedelta(minutes=15))
    assert await world.push() == 4
    order = [(p, d) for p, d, _ in world.stub.order]
    assert [d for p, d in order if p == "prov-a"] == ["2024-03-01", "2024-03-02"]
    listed = (await world.client.get("/v1/city-reports?provider_id=prov-a", headers=ops())).json()
    assert [(r["status"], r["on_time"]) for r in listed] == [
        ("acknowledged", False),
        ("acknowledged", True),
    ]


async def test_resend_never_double_counts_and_correction_references_original(world: World) -> None:
    world.clock.advance(timedelta(minutes=1))
    await world.push()
    # the same batch again (e.g. a lost acknowledgement): the platform keeps it once
    received = (await world.stub_client.get("/received")).json()
    original = next(d for d in received if d["provider_id"] == "prov-a")
    corrected = await world.client.post(
        "/v1/city-reports/prov-a/2024-03-01/corrections", headers=ops()
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["corrects_batch_id"] == original["batch_id"]
    world.owners.beds_by_provider["prov-a"][0] = world.owners.beds_by_provider["prov-a"][
        0
    ].__class__(
        **{**world.owners.beds_by_provider["prov-a"][0].__dict__, "economic_status": "other"}
    )
    await world.push()
    current = {
        (d["provider_id"], d["report_date"]): d
        for d in (await world.stub_client.get("/current")).json()
    }
    fixed = current[("prov-a", "2024-03-01")]
    assert fixed["kind"] == "correction"
    assert fixed["corrects_batch_id"] == original["batch_id"]
    assert fixed["basic_info"][0]["economic_situation"] == "其他"
    assert len(world.stub.received) == 3


async def test_rerun_and_correction_refused_before_sending(world: World) -> None:
    early = await world.client.post("/v1/city-reports/prov-a/2024-03-01/corrections", headers=ops())
    assert early.status_code == 404
    rerun = await world.client.post(
        "/v1/city-reports/rerun",
        headers=ops(),
        json={"provider_id": "prov-a", "first": "2024-02-28", "last": "2024-03-01"},
    )
    assert rerun.status_code == 200, rerun.text
    assert len(rerun.json()["scheduled"]) == 3  # 2024 is a leap year
    assert await world.push() == 3  # prov-a's three days; nothing else due before 01:00


async def test_officer_sees_only_their_region(world: World) -> None:
    world.clock.advance(timedelta(minutes=1))
    await world.push()
    hangzhou = principal_headers(Role.OFFICER, "off-1", regions=("330100",))
    answer = await world.client.get(
        "/v1/supervision/providers?first=2024-03-01&last=2024-03-01", headers=hangzhou
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [(r["region_code"], r["provider_id"]) for r in rows] == [("330102", "prov-a")]
    assert rows[0]["active_beds"] == 2
    assert rows[0]["completeness"] == 1.0
    assert rows[0]["timeliness"] == 1.0
    csv = await world.client.get(
        "/v1/supervision/providers.csv?first=2024-03-01&last=2024-03-01", headers=hangzhou
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith("330102,prov-a,2")
    elder = principal_headers(Role.ELDER, "e-1")
    refused = await world.client.get(
        "/v1/supervision/providers?first=2024-03-01&last=2024-03-01", headers=elder
    )
    assert refused.status_code == 403


async def test_no_pii_in_logs_errors_or_metrics(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.stub_client.post("/control", json={"mode": "status", "status": 500, "count": 1})
    world.owners.intake_down = False
    world.clock.advance(timedelta(minutes=1))
    caplog.set_level("DEBUG")
    await world.push()
    world.clock.advance(timedelta(minutes=5))
    await world.push()
    metrics = (await world.client.get("/metrics")).text
    listed = json.dumps(
        (await world.client.get("/v1/city-reports", headers=ops())).json(), ensure_ascii=False
    )
    for secret in (GOOD_ID, BAD_ID, "老人a1", "解放路"):
        assert secret not in caplog.text
        assert secret not in metrics
        assert secret not in listed
    assert "homebed_city_reports_late" in metrics
