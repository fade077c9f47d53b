"""A consumer in a process of its own, for the crash tests (not collected by pytest).

    python crash_worker.py runner DATABASE_URL BOOTSTRAP TOPIC GROUP

Runs the chassis `ConsumerRunner` with the demo tally handler until killed. With
`HOMEBED_TEST_CRASH_AFTER_APPLIED=N` (chassis.kafka.crash) it SIGKILLs itself right after the
database commit of its Nth message, before the offset commit.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaProducer

from chassis.db import UnitOfWork, create_engine, create_session_factory
from chassis.kafka.consumer import ConsumerConfig, ConsumerRunner
from chassis.testing.demo import DEMO_TABLES, tally_handler


async def main(database_url: str, bootstrap: str, topic: str, group: str) -> None:
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    runner = ConsumerRunner(
        service="svc-demo-tally",
        bootstrap=bootstrap,
        handlers={topic: tally_handler()},
        uow_factory=lambda: UnitOfWork(sessions, DEMO_TABLES),
        dlq_producer=producer,
        config=ConsumerConfig(group_id=group),
    )
    print("consuming", flush=True)
    await runner.run_forever()


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    assert kind == "runner", kind
    asyncio.run(main(*args))
