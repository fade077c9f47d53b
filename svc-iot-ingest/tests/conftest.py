from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, Iot, running_iot


@pytest.fixture
async def iot(sqlite_url: str) -> AsyncIterator[Iot]:
    """The service on SQLite with Kafka off; telemetry goes to an in-memory bus."""
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings) as running:
        yield running
