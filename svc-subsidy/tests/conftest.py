"""Fixtures: a settable clock (2022-08-01 12:00 Shanghai) and the app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import ManualClock
from subsidy.bootstrap import create_app
from subsidy.testing import subsidy_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2022, 8, 1, 4, 0, tzinfo=UTC))


@pytest.fixture
async def app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(subsidy_settings(database_url), clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as http:
        yield http


@pytest.fixture
async def postgres_app(postgres_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(subsidy_settings(postgres_url), clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        yield application
