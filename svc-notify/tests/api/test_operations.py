"""The service serves the chassis operations endpoints and answers unknown routes as problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chassis.testing.apps import app_client
from notify.bootstrap import create_app
from notify.settings import Settings


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notify.db", kafka_enabled=False
    )
    async with app_client(create_app(settings)) as http:
        yield http


async def test_ready_with_its_migrated_database(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "kafka": True}


async def test_unknown_route_answers_a_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json()["type"] == "urn:homebed:problem:not-found"
