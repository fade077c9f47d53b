from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from chassis.db import create_engine
from chassis.kafka.topics import ensure_topics
from chassis.runtime import ServiceRuntime
from chassis.testing.demo import DemoBase


@asynccontextmanager
async def running(
    runtime: ServiceRuntime, *, wait_for_kafka: bool = True
) -> AsyncIterator[ServiceRuntime]:
    """Start a runtime (engine, relay, consumers) like the lifespan does, and stop it after."""
    engine = create_engine(runtime.settings.database_url)
    async with engine.begin() as connection:
        await connection.run_sync(DemoBase.metadata.create_all)
    await engine.dispose()
    await runtime.start()
    try:
        if wait_for_kafka and runtime.settings.kafka_enabled:
            import asyncio

            await asyncio.wait_for(runtime.kafka_connected.wait(), 30)
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def demo_topic(kafka_bootstrap: str, unique_name: str) -> str:
    topic = f"demo.notes.{unique_name}"
    await ensure_topics(kafka_bootstrap, {topic: 3, f"{topic}.dlq": 3})
    return topic


@pytest.fixture
def run_runtime():  # type: ignore[no-untyped-def]
    return running
