"""Chaos E: PostgreSQL killed (`pg_ctl stop -m immediate`) while the chassis consumer runner
writes into it. A cluster of the test's own on a free port; the events come from the test
broker. No offset is committed ahead of its database commit, nothing is lost or applied twice,
and the service's /readyz says 503 while the database is down and 200 once it is back."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator

import pytest

from chassis.testing.chaos import ThrowawayPostgres, postgres_kill_scenario
from chassis.testing.ports import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.long(20)]


@pytest.fixture
async def crashable_postgres() -> AsyncIterator[ThrowawayPostgres]:
    base = tempfile.mkdtemp(prefix="homebed-pgkill-")
    pg = ThrowawayPostgres(f"{base}/pg", free_port())
    await pg.start(fresh=True)
    try:
        yield pg
    finally:
        await pg.stop()
        shutil.rmtree(base, ignore_errors=True)


async def test_postgres_killed_mid_consume_loses_nothing_and_applies_nothing_twice(
    kafka_bootstrap: str, crashable_postgres: ThrowawayPostgres
) -> None:
    result = await postgres_kill_scenario(
        bootstrap=kafka_bootstrap, pg=crashable_postgres, events=1000, outage_seconds=1.0
    )
    print(result.line())
    assert result.extra["offsets_ahead_of_db"] == 0, result.line()
    assert int(str(result.extra["committed_at_crash"])) > 0, "the crash came mid-consume"
    assert result.extra["readyz"] == "200-503-200", result.line()
    assert (result.lost, result.duplicates, result.applied) == (0, 0, 1000), result.line()
