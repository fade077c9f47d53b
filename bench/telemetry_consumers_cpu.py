"""CPU per reading of iot-ingest's telemetry consumers (rule engine, storage), in-process, on a
real PostgreSQL.

Not a latency bench. At `make bench-notify`'s 20,000 readings a second the worker process runs
two consumer groups over every telemetry message: the rule engine (`RuleEngine.apply`: the
bed's monitors, the bed states written back) and the storage projector (`project_storage`:
latest values, minute aggregates by COPY). This feeds `--messages` telemetry messages of 100
readings (the bench's flood: 20 vital-sign monitors, a bed each, heart rate, respiration, SpO2
and temperature in turn, 10 ms apart, normal values) to each of them in polls of `--poll`
messages, each poll one transaction with its offsets stored (as `BatchConsumer._commit`), and
reports the CPU time per reading of this process (`time.process_time()`) and of the PostgreSQL
backends serving its database (/proc/<pid>/stat utime+stime). Not included: aiokafka's fetch.
CPU time, not wall time: a loaded box does not distort it much.

    eval "$(bash scripts/infra.sh start test --fresh)"
    nice -n 19 uv run python bench/telemetry_consumers_cpu.py --messages 2000 --poll 10
    # the code before a change: PYTHONPATH=<old>/svc-iot-ingest:<old>/shared-chassis ...

Last line: `rules_us_per_reading=… rules_pg_us_per_reading=… storage_us_per_reading=…
storage_pg_us_per_reading=… readings=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka.structs import ConsumerRecord
from sqlalchemy import Table

sys.path.insert(0, str(Path(__file__).parent))

from escalation_cpu import backend_cpu_seconds  # bench/ is on the path (above)

from chassis.db import UnitOfWork
from chassis.kafka.batch import Records, store_offsets
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.settings import Settings
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.streams.storage import project_storage
from iot_ingest.tables import consumer_offsets
from iot_ingest.telemetry.codec import encode_telemetry
from iot_ingest.testing import QUIET_LOOPS, running_iot

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DEVICES = 20
BATCH = 100
METRICS = ("heart_rate", "respiration_rate", "spo2", "body_temp")
VALUES = {"heart_rate": 72.0, "respiration_rate": 16.0, "spo2": 97.0, "body_temp": 36.6}
TOPIC = "iot.telemetry.v1"


def python_baseline_ms() -> float:
    """A fixed pure-Python loop's CPU time: the machine's speed now (it moves on a shared box)."""
    started = time.process_time()
    total = 0
    for i in range(2_000_000):
        total += i % 7
    return (time.process_time() - started) * 1000


def messages(count: int) -> list[ConsumerRecord[bytes, bytes]]:
    """`count` telemetry messages, round robin over the devices, as the lane encodes them."""
    made: list[ConsumerRecord[bytes, bytes]] = []
    for n in range(count):
        device = n % DEVICES
        round_ = n // DEVICES
        first_seq = round_ * BATCH
        end = START + timedelta(seconds=round_)  # each device posts a batch a second
        readings = [
            ReadingIn(
                seq=first_seq + i,
                ts=end - timedelta(milliseconds=10 * (BATCH - i)),
                metric=METRICS[i % 4],
                value=VALUES[METRICS[i % 4]],
            )
            for i in range(BATCH)
        ]
        _, raw = encode_telemetry(
            source="svc-iot-ingest",
            device_id=f"dev-{device}",
            bed_id=f"bed-{device}",
            provider_id="p1",
            device_type="vital_signs_monitor",
            readings=readings,
            received_at=end,
        )
        made.append(
            ConsumerRecord(
                topic=TOPIC,
                partition=device % 12,
                offset=n,
                timestamp=0,
                timestamp_type=0,
                key=f"bed-{device}".encode(),
                value=raw,
                checksum=None,
                serialized_key_size=0,
                serialized_value_size=len(raw),
                headers=(),
            )
        )
    return made


async def feed(
    uow_factory: Callable[[], UnitOfWork],
    offsets_table: Table,
    group: str,
    apply: Callable[[UnitOfWork, Records], Awaitable[None]],
    records: list[ConsumerRecord[bytes, bytes]],
    poll: int,
) -> None:
    """`records` in polls of `poll`, a transaction each with its offsets, as BatchConsumer."""
    for first in range(0, len(records), poll):
        chunk = records[first : first + poll]
        next_offsets: dict[int, int] = {}
        for record in chunk:
            next_offsets[record.partition] = record.offset + 1
        async with uow_factory() as uow:
            await apply(uow, chunk)
            await store_offsets(uow, offsets_table, group, TOPIC, next_offsets)
            await uow.commit()


async def run(args: argparse.Namespace) -> None:
    dsn = os.environ["HOMEBED_TEST_POSTGRES_DSN"]
    database = f"tcc_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    server = dsn.rsplit("/", 1)[0]
    url = f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{database}"
    settings = Settings(database_url=url, kafka_enabled=False, **QUIET_LOOPS)
    warm = args.warmup
    records = messages(warm + args.messages)
    figures: dict[str, float] = {"python_baseline_ms": python_baseline_ms() / 1000}
    try:
        async with running_iot(settings, clock=lambda: START) as iot:
            runtime = iot.runtime
            offsets_table = consumer_offsets
            engine = RuleEngine(clock=lambda: START)
            phases: list[tuple[str, Callable[[UnitOfWork, Records], Awaitable[None]]]] = [
                ("rules", engine.apply),
                ("storage", project_storage),
            ]
            for name, apply in phases:
                await feed(runtime.uow, offsets_table, name, apply, records[:warm], args.poll)
            for name, apply in phases:
                pg_before = await backend_cpu_seconds(f"{server}/postgres", database)
                profile = cProfile.Profile(time.process_time) if args.cprofile else None
                cpu_before = time.process_time()
                if profile is not None:
                    profile.enable()
                await feed(runtime.uow, offsets_table, name, apply, records[warm:], args.poll)
                if profile is not None:
                    profile.disable()
                    profile.dump_stats(f"{args.cprofile}.{name}")
                figures[name] = time.process_time() - cpu_before
                figures[f"{name}_pg"] = (
                    await backend_cpu_seconds(f"{server}/postgres", database) - pg_before
                )
            figures["python_baseline_ms"] += python_baseline_ms() / 1000
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    readings = args.messages * BATCH
    load = os.getloadavg()[0]
    print(f"(load {load:.1f}) " + " ".join(f"{k}={v:.3f}s" for k, v in figures.items()))
    speed = figures.pop("python_baseline_ms") * 1000 / 2
    print(
        " ".join(
            [
                *(f"{k}_us_per_reading={1e6 * v / readings:.2f}" for k, v in figures.items()),
                f"baseline_python_ms={speed:.0f}",
                f"readings={readings}",
                f"poll={args.poll}",
            ]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="of 100 readings each")
    parser.add_argument("--poll", type=int, default=10, help="messages per poll")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cprofile", default=None, help="write FILE.rules, FILE.storage")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
