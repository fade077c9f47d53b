"""A day the city platform has not acknowledged by 24:00 of T+1 (000 §三(二) "T+1") is announced
once as `city_report.late` through the outbox (svc-notify tells the provider); a day
acknowledged in time never is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.db import UnitOfWork
from chassis.testing.apps import app_client
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.reporting import CityReportLate
from reporting.bootstrap import create_app
from reporting.consumers import handle_bed_event
from reporting.service.delivery import DeliveryConfig, run_daily_push
from reporting.service.sources import Delivery
from reporting.settings import Settings
from reporting.testing import bed_event, two_providers

# 2024-03-02 01:00 Shanghai: 2024-03-01 is due; its deadline is 2024-03-03 00:00 Shanghai
PUSH = datetime(2024, 3, 1, 17, 0, tzinfo=UTC)
DEADLINE = datetime(2024, 3, 2, 16, 0, tzinfo=UTC)


@dataclass
class Platform:
    """prov-a's days fail (the platform refuses them), prov-b's are acknowledged."""

    tried: list[str] = field(default_factory=list)

    async def deliver(self, *, batch_id: str, body: bytes, now: datetime) -> Delivery:
        provider = orjson.loads(body)["provider_id"]
        self.tried.append(provider)
        if provider == "prov-a":
            return Delivery(outcome="failed", error="http_503")
        return Delivery(outcome="acknowledged", receipt_id=f"r-{batch_id}")


World = tuple[ManualClock, Callable[[], UnitOfWork], Callable[[], Awaitable[int]]]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(PUSH)
    owners = two_providers()
    platform = Platform()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings, clock=clock, sources=owners.sources(), platform=platform)
    async with app_client(app):
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

        yield clock, runtime.uow, push


async def _announced(uow: UnitOfWork) -> list[tuple[str, dict[str, object]]]:
    async with uow:
        outbox = uow.tables.outbox
        rows = (
            await uow.session.execute(
                select(outbox.c.topic, outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
            )
        ).all()
    found = []
    for topic, event_type, payload in rows:
        assert topic == "reporting.city_reports.v1"
        found.append((event_type, orjson.loads(payload)["data"]))
    return found


async def test_a_day_late_past_t_plus_1_is_announced_once(world: World) -> None:
    assert quoted_in_seed("000", "以“T+1”方式将建床和服务数据归集到市级平台")
    clock, uow, push = world
    await push()
    assert await _announced(uow()) == []  # failing, but T+1 is not over
    clock.advance(DEADLINE - PUSH - timedelta(seconds=1))
    await push()
    assert await _announced(uow()) == []  # 23:59:59 of T+1: still in time
    clock.advance(timedelta(seconds=1))
    await push()
    [(event_type, data)] = await _announced(uow())
    assert event_type == "city_report.late"
    late = CityReportLate.model_validate(data)
    assert (late.provider_id, late.report_date.isoformat()) == ("prov-a", "2024-03-01")
    assert late.deadline == DEADLINE
    assert late.status == "failed"
    assert late.last_error == "http_503"
    assert late.attempts >= 1
    clock.advance(timedelta(minutes=10))
    await push()  # still failing: not announced again (prov-b's day was acknowledged in time)
    assert len(await _announced(uow())) == 1
