"""Telemetry ingest end to end: simulated devices post batches of 100 readings to a running
iot-ingest (uvicorn, its own process), each answered 202 only after Kafka acknowledged it.
In the same run, the raw aiokafka producer sends the same readings the Foundation's baseline way
(bench/kafka_baseline.py: one message per send, acks=all, idempotent): `kafka_baseline_per_s` is
that rate in readings/s, one reading per message. The rate with 100 readings per message (what
iot-ingest itself sends) is printed to stderr as well, to show what HTTP costs over raw Kafka.

The rule-engine and storage consumers are switched off in the server under test: they are their
own consumer groups and would run as their own instances in production.

Last line: `ingest_readings_per_s=<n> kafka_baseline_per_s=<n> ratio=<r>`
`python bench/ingest_bench.py --bootstrap 127.0.0.1:9092 [--seconds 15] [--devices 64]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from chassis.db import UnitOfWork, create_engine, create_session_factory
from chassis.kafka.topics import ensure_registry_topics
from chassis.migrations import upgrade_to_head
from chassis.principal import Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from homebed_schemas.topics import IOT_TELEMETRY
from iot_ingest.bootstrap import MIGRATIONS
from iot_ingest.consumers import handle_bed_event
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.tables import CHASSIS_TABLES
from iot_ingest.telemetry.codec import encode_telemetry
from iot_ingest.testing import bed_envelope

BATCH = 100
METRICS = ("heart_rate", "respiration_rate", "spo2", "body_temp")
VALUES = {"heart_rate": 72.0, "respiration_rate": 16.0, "spo2": 97.0, "body_temp": 36.6}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the server under test
@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    database_url: str


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare_database(database_url: str, bed_ids: list[str], provider_id: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        factory = create_session_factory(engine)
        async with UnitOfWork(factory, CHASSIS_TABLES) as uow:
            for bed_id in bed_ids:
                await handle_bed_event(uow, bed_envelope(bed_id, provider_id))
            await uow.commit()
    finally:
        await engine.dispose()


@contextlib.contextmanager
def run_server(
    bootstrap: str,
    database_url: str,
    workers: int,
    *,
    with_worker: bool = False,
    worker_nice: int = 10,
    **env: str,
) -> Iterator[Server]:
    """uvicorn with the API; with `with_worker`, also `python -m iot_ingest.worker` running the
    telemetry consumers and loops in a process of its own (the production layout)."""
    port = free_port()
    environment = {
        **os.environ,
        "HOMEBED_IOT_INGEST_DATABASE_URL": database_url,
        "HOMEBED_KAFKA_BOOTSTRAP": bootstrap,
        "HOMEBED_IOT_INGEST_RULES_ENABLED": "false",
        "HOMEBED_IOT_INGEST_STORAGE_ENABLED": "false",
        "HOMEBED_IOT_INGEST_TELEMETRY_RATE_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_TELEMETRY_BURST_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_BEDS_GROUP": f"bench-beds-{uuid.uuid4().hex[:6]}",
        "HOMEBED_IOT_INGEST_RULES_GROUP": f"bench-rules-{uuid.uuid4().hex[:6]}",
        "HOMEBED_IOT_INGEST_STORAGE_GROUP": f"bench-storage-{uuid.uuid4().hex[:6]}",
        "HOMEBED_LOG_LEVEL": "WARNING",
        **env,
    }
    processes = []
    if with_worker:
        # the alarm lifecycle loops (escalation, liveness) stay with the alarm lane in the API
        # process; the worker gets the telemetry consumers only (see the service README)
        worker_env = {
            **environment,
            "HOMEBED_IOT_INGEST_RULES_ENABLED": "true",
            "HOMEBED_IOT_INGEST_STORAGE_ENABLED": "true",
            "HOMEBED_IOT_INGEST_LOOPS_ENABLED": "false",
        }
        # on a shared box the analytics worker yields the CPU to the process serving alarms;
        # in production it runs in a container of its own
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "iot_ingest.worker"],
                env=worker_env,
                preexec_fn=lambda: os.nice(worker_nice),
            )
        )
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "iot_ingest.main:app", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning",
            "--timeout-keep-alive", "75", "--workers", str(workers),
        ],
        env=environment,
    )  # fmt: skip
    processes.append(process)
    log(f"iot-ingest server pid {process.pid} on port {port}")
    try:
        yield Server(f"http://127.0.0.1:{port}", process, database_url)
    finally:
        for running in processes:
            running.terminate()
        for running in processes:
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()


async def wait_ready(url: str, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise SystemExit("iot-ingest did not become ready")


async def register_devices(
    url: str, bed_ids: list[str], device_type: str, provider_id: str
) -> list[str]:
    admin = Principal(sub="bench-admin", role=Role.PROVIDER_ADMIN, provider_id=provider_id)
    headers = {
        "X-HomeBed-Principal": mint_internal_token(admin, DEV_INTERNAL_TOKEN_KEY, ttl_seconds=3600)
    }
    tokens = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for bed_id in bed_ids:
            response = await client.post(
                "/v1/devices",
                json={
                    "bed_id": bed_id,
                    "device_type": device_type,
                    "serial": f"B-{uuid.uuid4().hex[:12]}",
                },
                headers=headers,
            )
            response.raise_for_status()
            tokens.append(response.json()["token"])
    return tokens


# ------------------------------------------------------------------ raw HTTP/1.1 load client
class Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight; Content-Length responses only."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.head = b""  # the last response's status line and headers, lower-cased

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:head_end]).lower()
        marker = head.find(b"content-length:")
        length = 0
        if marker >= 0:
            line_end = head.find(b"\r\n", marker)
            length = int(head[marker + 15 : line_end if line_end >= 0 else len(head)].strip())
        if len(self.buffer) < head_end + 4 + length:
            return
        status = int(head[9:12])
        self.head = head
        body = bytes(self.buffer[head_end + 4 : head_end + 4 + length])
        del self.buffer[: head_end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    @property
    def closed(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.closed:
            raise ConnectionError("connection closed by the server")
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


async def connect(url: str) -> Connection:
    host, port = url.removeprefix("http://").split(":")
    _, protocol = await asyncio.get_running_loop().create_connection(Connection, host, int(port))
    return protocol


def post_request(path: str, token: str, body: bytes) -> bytes:
    return (
        b"POST %s HTTP/1.1\r\nHost: iot\r\nAuthorization: Bearer %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (path.encode(), token.encode(), len(body))
    ) + body


def readings_body(first_seq: int, now: datetime, count: int = BATCH) -> bytes:
    readings = [
        {
            "seq": first_seq + i,
            "ts": (now - timedelta(milliseconds=10 * (count - i))).isoformat(),
            "metric": METRICS[i % 4],
            "value": VALUES[METRICS[i % 4]],
        }
        for i in range(count)
    ]
    return orjson.dumps({"readings": readings})


@dataclass
class LoadResult:
    readings: int = 0
    requests: int = 0
    failures: int = 0


async def telemetry_device(
    url: str, token: str, stop_at: float, result: LoadResult, rate_per_s: float | None = None
) -> None:
    """Post batches back to back (or at `rate_per_s` batches a second) until `stop_at`."""
    connection = await connect(url)
    seq = time.time_ns() // 1000  # increases across runs: warm-up seqs are never replayed
    next_at = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            if rate_per_s is not None:
                next_at += 1.0 / rate_per_s
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            body = readings_body(seq, datetime.now(UTC))
            status, answer = await connection.request(post_request("/v1/telemetry", token, body))
            result.requests += 1
            if status == 202:
                result.readings += orjson.loads(answer)["accepted"]
            else:
                result.failures += 1
            seq += BATCH
    finally:
        if connection.transport is not None:
            connection.transport.close()


# ------------------------------------------------------------------ Kafka baseline
def _producer(bootstrap: str) -> AIOKafkaProducer:
    # the Foundation's baseline settings (bench/kafka_baseline.py)
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


async def _produce_for(
    bootstrap: str, seconds: float, payloads: list[bytes], keys: list[bytes]
) -> tuple[int, float]:
    """Send as fast as acknowledgements allow for `seconds`: (messages, elapsed)."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(IOT_TELEMETRY.name, payloads[0], key=b"warmup")
        sent = 0
        started = time.perf_counter()
        while time.perf_counter() < started + seconds:
            pending = [
                await producer.send(
                    IOT_TELEMETRY.name, payloads[i % len(payloads)], key=keys[i % len(keys)]
                )
                for i in range(2000)
            ]
            await asyncio.gather(*pending)
            sent += len(pending)
        return sent, time.perf_counter() - started
    finally:
        await producer.stop()


async def kafka_baseline(bootstrap: str, seconds: float) -> tuple[float, float]:
    """Readings/s straight to Kafka with the same readings: (one reading per message, as the
    Foundation's baseline sends; 100 readings per message, as iot-ingest batches)."""
    now = datetime.now(UTC)
    readings = [
        ReadingIn(seq=i, ts=now, metric=METRICS[i % 4], value=VALUES[METRICS[i % 4]])
        for i in range(BATCH)
    ]
    keys = [str(uuid.uuid4()).encode() for _ in range(64)]
    single = [
        orjson.dumps({"seq": r.seq, "ts": r.ts, "metric": r.metric, "value": r.value})
        for r in readings
    ]
    messages, elapsed = await _produce_for(bootstrap, seconds, single, keys)
    per_reading = messages / elapsed
    batched = [
        encode_telemetry(
            source="svc-iot-ingest",
            device_id=k.decode(),
            bed_id="b",
            provider_id="p",
            device_type="vital_signs_monitor",
            readings=readings,
            received_at=now,
        )[1]
        for k in keys
    ]
    messages, elapsed = await _produce_for(bootstrap, seconds, batched, keys)
    return per_reading, messages * BATCH / elapsed


# ------------------------------------------------------------------ main
async def setup_stack(
    args: argparse.Namespace, tmp: str, devices: int, device_type: str, **env: str
):  # type: ignore[no-untyped-def]
    await ensure_registry_topics(args.bootstrap)
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/iot.db"
    provider = "bench-provider"
    bed_ids = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(devices)]
    await prepare_database(database_url, bed_ids, provider)
    return database_url, bed_ids, provider


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--devices", type=int, default=128, help="= concurrent connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url, bed_ids, provider = await setup_stack(
            args, tmp, args.devices, "vital_signs_monitor"
        )
        with run_server(args.bootstrap, database_url, args.workers) as server:
            await wait_ready(server.url)
            tokens = await register_devices(server.url, bed_ids, "vital_signs_monitor", provider)
            log(f"warming up {len(tokens)} devices")
            warm = LoadResult()
            await asyncio.gather(
                *(telemetry_device(server.url, t, time.monotonic() + 2, warm) for t in tokens)
            )
            result = LoadResult()
            started = time.monotonic()
            stop_at = started + args.seconds
            await asyncio.gather(
                *(telemetry_device(server.url, t, stop_at, result) for t in tokens)
            )
            elapsed = time.monotonic() - started
        ingest_rate = result.readings / elapsed
        log(
            f"ingest: {result.readings} readings in {result.requests} requests, "
            f"{result.failures} failed, {elapsed:.1f} s"
        )
        baseline, batched = await kafka_baseline(args.bootstrap, args.seconds)
        log(
            f"raw producer, same readings: {baseline:.0f}/s one per message (the baseline), "
            f"{batched:.0f}/s 100 per message"
        )
    ratio = ingest_rate / baseline if baseline else 0.0
    print(
        f"ingest_readings_per_s={ingest_rate:.0f} kafka_baseline_per_s={baseline:.0f} "
        f"ratio={ratio:.2f}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    asyncio.run(main())
