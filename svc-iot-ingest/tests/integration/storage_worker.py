"""The telemetry storage consumer in a process of its own, for the crash tests (not collected).

    python storage_worker.py DATABASE_URL BOOTSTRAP TOPIC GROUP MAX_RECORDS

The production pieces (`BatchConsumer` + `project_storage` + iot's `consumer_offsets`) on a topic
of the test's own. With `HOMEBED_TEST_CRASH_AFTER_APPLIED=N` (chassis.kafka.crash) it SIGKILLs
itself right after the database commit that brings its applied records to N or more.
"""

from __future__ import annotations

import asyncio
import sys

from chassis.db import UnitOfWork, create_engine, create_session_factory
from chassis.kafka.batch import BatchConsumer
from iot_ingest.streams.storage import project_storage
from iot_ingest.tables import CHASSIS_TABLES, consumer_offsets


async def main(database_url: str, bootstrap: str, topic: str, group: str, limit: str) -> None:
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    consumer = BatchConsumer(
        service="svc-iot-ingest",
        bootstrap=bootstrap,
        group_id=group,
        topic=topic,
        offsets=consumer_offsets,
        uow_factory=lambda: UnitOfWork(sessions, CHASSIS_TABLES),
        apply=project_storage,
        max_records=int(limit),
        fetch_min_bytes=1,
        fetch_max_wait_ms=50,
    )
    print("consuming", flush=True)
    await consumer.run_forever()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
