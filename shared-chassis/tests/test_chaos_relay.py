"""Chaos G, short: the outbox relay SIGKILLed 5 times over 500 events (real Kafka and
PostgreSQL). `make chaos` runs the same scenario with 10,000 events and 50 kills."""

from __future__ import annotations

import pytest

from chassis.testing.chaos import relay_kill_scenario

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.long(25)]


async def test_relay_sigkilled_5_times_over_500_events_delivers_each_once(
    postgres_dsn: str, kafka_bootstrap: str
) -> None:
    result = await relay_kill_scenario(
        bootstrap=kafka_bootstrap, dsn=postgres_dsn, events=500, kills=5, seed=11
    )
    print(result.line())
    assert result.acked == 500, result.line()  # every event reached the topic ...
    assert result.lost == 0, result.line()  # ... and was applied ...
    assert result.duplicates == 0, result.line()  # ... once
    assert result.applied == 500
