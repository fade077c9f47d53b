"""A signature's timestamp is transport, stamped and checked on the wall clock: a business clock
elsewhere (a test's ManualClock, make demo's clock running hours a second) never makes the
city platform refuse a genuine report, nor accept a stale one."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from chassis.clock import ManualClock
from reporting.city_platform_stub import create_stub
from reporting.clients import HttpCityPlatform
from reporting.settings import DEV_CITY_PLATFORM_SECRET

BUSINESS_NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # far from the wall


async def deliver(wall_offset: float) -> tuple[str, list[str]]:
    stub_app = create_stub(DEV_CITY_PLATFORM_SECRET, clock=ManualClock(BUSINESS_NOW))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stub_app), base_url="http://city"
    ) as client:
        platform = HttpCityPlatform(
            client,
            "http://city/v1/reports",
            DEV_CITY_PLATFORM_SECRET,
            wall=lambda: time.time() + wall_offset,
        )
        # not a report document: the stub checks the signature first, then the schema
        delivery = await platform.deliver(batch_id="b-1", body=b"{}", now=BUSINESS_NOW)
    return str(delivery.error), stub_app.state.stub.rejected


async def test_a_genuine_signature_passes_whatever_the_business_clock_says() -> None:
    error, rejected = await deliver(0)
    assert rejected == ["schema"]  # past the signature check
    assert error == "http_422"


async def test_a_stamp_off_the_wall_by_more_than_5_minutes_is_refused() -> None:
    error, rejected = await deliver(-301)
    assert rejected == ["signature"]
    assert error == "http_401"
