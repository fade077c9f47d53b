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


async def test_notification_series_exist_at_zero_from_the_start(
    client: httpx.AsyncClient,
) -> None:
    """Channels, outcomes and the first-delivery histogram answer before any notification."""
    text = (await client.get("/metrics")).text
    for channel in ("in_app", "monitoring_centre", "webhook", "sms", "voice"):
        for outcome in ("sent", "failed"):
            assert (
                f'homebed_notify_deliveries_total{{channel="{channel}",outcome="{outcome}"}}'
                in text
            )
    for status in ("sent", "digested", "failed", "cancelled", "unroutable"):
        assert f'homebed_notify_delivery_outcomes_total{{status="{status}"}}' in text
    for safety in ("true", "false"):
        assert f'homebed_notify_event_to_first_delivery_seconds_count{{safety="{safety}"}}' in text
    assert "homebed_notify_time_to_acknowledgement_seconds_count" in text
