"""The migration that decides the 15-minute rule from the times (issue 11 item 1) marks the
alarms stored before it: reached after the deadline, or closed without arrival after it."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from chassis.db import create_engine
from chassis.migrations import alembic_config
from iot_ingest.bootstrap import MIGRATIONS
from iot_ingest.tables import alarms

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(minutes=15)


def _revisions() -> tuple[str, str]:
    (path,) = Path(MIGRATIONS, "versions").glob("*_breach_times_and_masked_elder.py")
    spec = importlib.util.spec_from_file_location("breach_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision, module.revision


def _alarm(
    alarm_id: str, *, arrived_at: datetime | None = None, resolved_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id,
        "bed_id": "bed-1",
        "provider_id": "p1",
        "alarm_type": "sos_pressed",
        "severity": "critical",
        "status": "resolved",
        "count": 1,
        "raised_at": T0,
        "arrival_deadline": DEADLINE,
        "escalated_levels": [],
        "sla_breached": False,
        "arrived_at": arrived_at,
        "resolved_at": resolved_at,
    }


async def test_stored_alarms_are_judged_by_their_times(database_url: str) -> None:
    before, revision = _revisions()
    config = alembic_config(MIGRATIONS)
    engine = create_engine(database_url)

    def upgrade(to: str) -> Any:
        def run(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, to)

        return run

    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade(before))
            await connection.execute(
                insert(alarms),
                [
                    _alarm("late", arrived_at=DEADLINE + timedelta(seconds=1)),
                    _alarm("on-time", arrived_at=DEADLINE),
                    _alarm("closed-late", resolved_at=T0 + timedelta(minutes=30)),
                    _alarm("closed-in-time", resolved_at=T0 + timedelta(minutes=5)),
                    _alarm("still-open"),
                ],
            )
        async with engine.begin() as connection:
            await connection.run_sync(upgrade(revision))
            rows = await connection.execute(select(alarms.c.alarm_id, alarms.c.sla_breached))
            breached = {r.alarm_id for r in rows if r.sla_breached}
        assert breached == {"late", "closed-late"}
    finally:
        await engine.dispose()
