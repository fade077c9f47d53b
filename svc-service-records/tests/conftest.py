"""Fixtures: a settable clock (12:00 Shanghai, 2022-06-01) and the app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import ManualClock
from service_records.bootstrap import create_app
from service_records.testing import records_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2022, 6, 1, 4, 0, tzinfo=UTC))


@pytest.fixture
async def app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(records_settings(database_url), clock=clock)
    # migrations on a loaded machine can take longer than asgi-lifespan's 5 s default
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://records") as http:
        yield http
