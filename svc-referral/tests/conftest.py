"""Fixtures: a settable clock (10:00 Shanghai, Thursday 2026-09-24) and the app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import ManualClock
from referral.bootstrap import create_app
from referral.testing import bed_event, feed, referral_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 9, 24, 2, 0, tzinfo=UTC))


@pytest.fixture
async def app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(referral_settings(database_url), clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        await feed(application, bed_event())
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://referral") as http:
        yield http
