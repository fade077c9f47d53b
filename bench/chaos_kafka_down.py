"""Chaos F: Kafka down during telemetry ingest, on a broker of the scenario's own.

    python bench/chaos_kafka_down.py --dsn postgresql://... [--port 19392] [--outage 30]
        [--devices 8] [--batches 60] [--readings 50]

iot-ingest runs in this process (its app with the telemetry lane and the storage consumer on,
database on `--dsn`, Kafka on a DEDICATED broker started here with deploy/kafka/kafka.sh on
`--port`: the shared test broker is never stopped). Simulated devices post batches as fast as
their rate limit lets them; the broker is stopped for `--outage` seconds and started again.
While it is down the devices get 503 with Retry-After and retry the same batch (same sequence
numbers) after that many seconds. At the end the storage projection (sum of the minute
aggregates' counts) is compared with the readings the service acknowledged with 202.

Prints `scenario=kafka-down sent= acked= applied= duplicates= lost=` (plus the 503s seen) and
exits non-zero unless lost=0 and duplicates=0. It runs in `make chaos` only: a broker restart
alone takes ~20 s here, too long for `make test`. The restart also poisons the lane's idempotent
producer on some partitions (OutOfOrderSequenceNumber, aio-libs/aiokafka#1017): the scenario
passes only because chassis.kafka.healing replaces it (unit tests:
shared-chassis/tests/test_healing_producer.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from chassis.kafka.topics import ensure_registry_topics
from chassis.testing.chaos import ScenarioResult, create_database, drop_databases
from chassis.testing.eventually import eventually

ROOT = Path(__file__).resolve().parents[1]


class KafkaBroker:
    """A broker of its own (deploy/kafka/kafka.sh), stopped and started by the scenario."""

    def __init__(self, data_dir: str, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.bootstrap = f"127.0.0.1:{port}"

    async def _run(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            "bash", str(ROOT / "deploy/kafka/kafka.sh"), *args,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"kafka.sh {' '.join(args)} failed: {err.decode()[-800:]}")

    async def start(self, *, fresh: bool = False) -> None:
        # While the broker is down the clients keep connecting to its port, which lies in the
        # kernel's ephemeral range: one of them can self-connect (source port == the port) and
        # hold it for a moment, so the restart fails with "Address already in use". The client
        # drops such a connection at its first reply, so starting again succeeds.
        for attempt in range(5):
            try:
                await self._run(
                    "start", self.data_dir, str(self.port), *(["--fresh"] if fresh else [])
                )
                return
            except RuntimeError:
                if attempt == 4:
                    raise
                await self.stop()
                await asyncio.sleep(1.0)  # the self-connected client gives the port back

    async def stop(self) -> None:
        await self._run("stop", self.data_dir)


@dataclass
class Device:
    token: str
    bed_id: str
    next_seq: int = 0
    sent: int = 0
    acked: int = 0
    unavailable: int = 0
    retry_after_missing: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def _device_loop(
    iot: Any, device: Device, batches: int, readings: int, stop: asyncio.Event
) -> None:
    """Post `batches` batches; a 503 or 429 is retried with the same batch after Retry-After."""
    for _ in range(batches):
        if stop.is_set():
            return
        now = datetime.now(UTC)
        batch = [
            {
                "seq": device.next_seq + i,
                "ts": (now - timedelta(milliseconds=readings - i)).isoformat(),
                "metric": "heart_rate",
                "value": 72,
            }
            for i in range(readings)
        ]
        device.next_seq += readings
        device.sent += readings
        while not stop.is_set():
            response = await iot.post_readings(device.token, batch)
            device.statuses[response.status_code] = device.statuses.get(response.status_code, 0) + 1
            if response.status_code == 202:
                body = response.json()
                device.acked += int(body["accepted"]) + int(body.get("duplicates", 0))
                break
            if response.status_code in (429, 503):
                if response.status_code == 503:
                    device.unavailable += 1
                retry_after = response.headers.get("Retry-After")
                if retry_after is None:
                    device.retry_after_missing += 1
                # the device's back-off, as the lane told it (not a test-side wait)
                await asyncio.sleep(float(retry_after or 1))
                continue
            raise AssertionError(f"unexpected {response.status_code}: {response.text}")


async def kafka_down_scenario(
    *,
    dsn: str,
    port: int,
    outage_seconds: float,
    devices: int = 8,
    batches: int = 60,
    readings: int = 50,
    data_dir: str | None = None,
) -> ScenarioResult:
    from iot_ingest.settings import Settings
    from iot_ingest.tables import minute_aggregates
    from iot_ingest.testing import QUIET_LOOPS, running_iot

    base = data_dir or tempfile.mkdtemp(prefix="homebed-kafkadown-")
    broker = KafkaBroker(f"{base}/kafka", port)
    name = uuid.uuid4().hex[:8]
    database = f"chaos_kafkadown_{name}"
    url = await create_database(dsn, database)
    await broker.start(fresh=True)
    started = time.monotonic()
    try:
        await ensure_registry_topics(broker.bootstrap)
        settings = Settings(
            **{
                **QUIET_LOOPS,
                "database_url": url,
                "kafka_bootstrap": broker.bootstrap,
                "beds_group": f"iot-beds-{name}",
                "rules_group": f"iot-rules-{name}",
                "storage_group": f"iot-storage-{name}",
                "rules_enabled": False,
                "outbox_poll_seconds": 0.05,
                "telemetry_ack_timeout_seconds": 2.0,
            }
        )
        async with running_iot(settings) as iot:
            await asyncio.wait_for(iot.runtime.kafka_connected.wait(), 60)
            for consumer in iot.app.state.telemetry_consumers:
                await asyncio.wait_for(consumer.assigned.wait(), 60)
            fleet = []
            for _ in range(devices):
                bed_id = await iot.add_bed()
                fleet.append(Device(token=(await iot.add_device(bed_id))["token"], bed_id=bed_id))
            stop = asyncio.Event()
            loops = [
                asyncio.create_task(_device_loop(iot, d, batches, readings, stop)) for d in fleet
            ]
            try:
                # the outage starts once ingest runs at full rate: a tenth of it acknowledged
                await eventually(
                    lambda: _sum(d.acked for d in fleet),
                    until=lambda n: n >= devices * batches * readings // 10,
                    within=120,
                    what="ingest running",
                )
                await broker.stop()
                down_at = time.monotonic()
                await eventually(
                    lambda: _sum(d.unavailable for d in fleet),
                    until=lambda n: n >= devices,
                    within=60,
                    what="503s while the broker is down",
                )
                await asyncio.sleep(max(0.0, outage_seconds - (time.monotonic() - down_at)))
                await broker.start()
                outage = time.monotonic() - down_at
                await asyncio.wait_for(asyncio.gather(*loops), 300)
            finally:
                stop.set()
                for task in loops:
                    task.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
            acked = sum(d.acked for d in fleet)
            beds = [d.bed_id for d in fleet]

            async def stored() -> int:
                async with iot.runtime.uow() as uow:
                    total = await uow.session.scalar(
                        select(func.sum(minute_aggregates.c.count)).where(
                            minute_aggregates.c.bed_id.in_(beds)
                        )
                    )
                    return int(total or 0)

            await eventually(
                stored,
                until=lambda n: n >= acked,
                within=120,
                while_progressing=True,  # a loaded box stores slowly; only a stall fails
                what="all stored",
            )
            # a little longer: a late duplicate would show up now
            applied = await stored()
        return ScenarioResult(
            name="kafka-down",
            sent=sum(d.sent for d in fleet),
            acked=acked,
            applied=applied,
            duplicates=max(0, applied - acked),
            lost=max(0, acked - applied),
            extra={
                "outage_s": f"{outage:.1f}",
                "status_503": sum(d.unavailable for d in fleet),
                "retry_after_missing": sum(d.retry_after_missing for d in fleet),
                "seconds": f"{time.monotonic() - started:.1f}",
            },
        )
    finally:
        await broker.stop()
        await drop_databases(dsn, database)
        if data_dir is None:
            shutil.rmtree(base, ignore_errors=True)


async def _sum(values: Any) -> int:
    return sum(values)


async def main(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = await kafka_down_scenario(
        dsn=args.dsn,
        port=args.port,
        outage_seconds=args.outage,
        devices=args.devices,
        batches=args.batches,
        readings=args.readings,
        data_dir=args.data_dir,
    )
    print(result.line(), flush=True)
    return 0 if result.ok and result.acked == result.sent else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("CHAOS_KAFKA_DOWN_PORT", "19392"))
    )
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--readings", type=int, default=50)
    parser.add_argument("--data-dir", default=None)
    sys.exit(asyncio.run(main(parser.parse_args())))
