"""Issue 15 item 4: the alarm lane opens and prepares its connections before it serves, and the
rehearsal (a fall in a transaction rolled back) leaves nothing behind."""

import pytest
from sqlalchemy import func, select

from iot_ingest.settings import Settings
from iot_ingest.tables import CHASSIS_TABLES, alarm_feed, alarms, device_event_receipts
from iot_ingest.testing import QUIET_LOOPS, running_iot

pytestmark = [pytest.mark.postgres]


async def test_the_alarm_lane_is_warm_before_it_serves(postgres_url: str) -> None:
    settings = Settings(
        database_url=postgres_url, kafka_enabled=False, warm_connections=4, **QUIET_LOOPS
    )
    async with running_iot(settings) as iot:
        pool = iot.runtime.engine.pool  # type: ignore[union-attr]
        assert pool.checkedin() >= 4  # opened before the first request, kept for the lane
        async with iot.runtime.uow() as uow:
            for table in (alarms, alarm_feed, device_event_receipts, CHASSIS_TABLES.outbox):
                rows = await uow.session.scalar(select(func.count()).select_from(table))
                assert rows == 0, table.name
