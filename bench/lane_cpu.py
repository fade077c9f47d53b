"""CPU per request of iot-ingest's two lanes, in CPU time (not wall time: a busy box stretches
wall time, not the CPU a request costs).

The stack of `make bench-alarm` without the flood: the alarm lane (`uvicorn`, role
`alarm-lane`, its loops and relay running) and the telemetry lane (role `telemetry-lane`), each
its own process on a fresh database. Devices are registered and authenticated exactly as the
benches' devices are (Bearer token per device, one fall detector per bed, batches of 100
readings from vital-sign monitors). The figures are each server process's utime + stime
(/proc/<pid>/stat) over a phase, divided by what the phase served:

- `alarm_cpu_ms_per_post`: falls posted at `--fall-rate` (the benches' 40/s), one bed each
  (every fall raises an alarm: the bed's read, alarm + receipt + outbox + feed rows, commit,
  express hand-off to Kafka, the mark), all answered 201; the lane's background loops
  (escalation poll, relay, flush, event-loop watch) run meanwhile, as in the bench;
- `telemetry_cpu_us_per_reading`: `--batches` batches of 100 readings from 20 devices (the
  bench's flood shape) at `--batch-rate`, each answered 202 after Kafka acknowledged it;
- baselines measured in the same run: `baseline_healthz_cpu_ms` (the alarm lane serving
  `GET /healthz`: HTTP parsing, the chassis middleware, routing, a JSON answer),
  `baseline_idle_cpu_ms_per_s` (the alarm lane doing nothing but its loops) and
  `baseline_python_ms` (a fixed pure-Python loop in this process, before, between and after
  the two phases: the machine's speed, which on a shared box moves by a factor of two).

Last line: `alarm_cpu_ms_per_post=… telemetry_cpu_us_per_reading=… baseline_…=…`
`python bench/lane_cpu.py --dsn postgresql://postgres@127.0.0.1:5432/postgres --bootstrap
127.0.0.1:9092 [--falls 1200] [--batches 2000] [--py-spy DIR]` (`make bench-lane-cpu`).
With `--py-spy DIR` (py-spy on the PATH: `uv run --with py-spy ...`), each lane's phase is
also recorded as a flame graph (`DIR/alarm.svg`, `DIR/telemetry.svg`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))

from ingest_bench import (  # bench/ is on the path
    BATCH,
    Connection,
    connect,
    free_port,
    log,
    post_request,
    prepare_database,
    readings_body,
    wait_ready,
)

from chassis.kafka.topics import ensure_registry_topics
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY

PROVIDER = "cpu-provider"
TELEMETRY_DEVICES = 20  # the flood's devices in make bench-alarm / bench-notify
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its threads included), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def python_baseline_ms() -> float:
    """CPU ms of a fixed pure-Python workload: how fast this machine runs Python today."""
    started = time.process_time()
    total = 0
    for i in range(2_000_000):
        total += i % 7
    assert total > 0
    return (time.process_time() - started) * 1000


@contextlib.contextmanager
def lane_process(
    role: str, port: int, database_url: str, bootstrap: str, logs: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`uvicorn iot_ingest.main:app` in the role, as bench/alarm_bench.py starts it."""
    suffix = uuid.uuid4().hex[:6]
    environment = {
        **os.environ,
        "HOMEBED_IOT_INGEST_DATABASE_URL": database_url,
        "HOMEBED_KAFKA_BOOTSTRAP": bootstrap,
        "HOMEBED_IOT_INGEST_ROLE": role,
        "HOMEBED_IOT_INGEST_TELEMETRY_RATE_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_TELEMETRY_BURST_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_BEDS_GROUP": f"cpu-beds-{suffix}",
        "HOMEBED_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "uvicorn", "iot_ingest.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "75",
    ]  # fmt: skip
    with (logs / f"lane-cpu-{role}.log").open("ab") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def py_spy(folder: Path | None, name: str, pid: int, raw: bool = False) -> Iterator[None]:
    """py-spy recording the process while the block runs (nothing without `--py-spy`)."""
    if folder is None:
        yield
        return
    binary = shutil.which("py-spy")
    if binary is None:
        raise SystemExit("--py-spy: py-spy is not on the PATH (uv run --with py-spy ...)")
    recorder = subprocess.Popen(
        [binary, "record", "--nonblocking", "--pid", str(pid), "--rate", "200",
         "--format", "raw" if raw else "flamegraph",
         "--output", str(folder / f"{name}.{'txt' if raw else 'svg'}")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached before the phase starts
    try:
        yield
    finally:
        recorder.send_signal(2)  # SIGINT: py-spy writes the flame graph and exits
        recorder.wait(timeout=60)


async def register_devices(
    url: str, bed_ids: list[str], device_type: str, provider_id: str
) -> list[str]:
    """One device per bed (POST /v1/devices, as a provider admin); their tokens. Patient: a
    lane at a low priority on a busy box may answer in tens of seconds."""
    admin = Principal(sub="bench-admin", role=Role.PROVIDER_ADMIN, provider_id=provider_id)
    token = mint_internal_token(admin, DEV_INTERNAL_TOKEN_KEY, ttl_seconds=3600)
    headers = {PRINCIPAL_HEADER: token}
    tokens = []
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        for bed_id in bed_ids:
            response = await client.post(
                "/v1/devices",
                json={"bed_id": bed_id, "device_type": device_type, "serial": uuid.uuid4().hex},
                headers=headers,
            )
            response.raise_for_status()
            tokens.append(response.json()["token"])
    return tokens


async def pooled(url: str, size: int) -> asyncio.Queue[Connection]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(size):
        pool.put_nowait(await connect(url))
    return pool


async def post_falls(url: str, tokens: list[str], rate: float) -> list[int]:
    """Open loop as the benches: fall i due at start + i / rate, device i, seq 1; statuses."""
    pool = await pooled(url, 16)
    statuses: list[int] = []

    async def one(token: str) -> None:
        connection = await pool.get()
        try:
            body = orjson.dumps(
                {"seq": 1, "ts": datetime.now(UTC).isoformat(), "kind": "fall_detected"}
            )
            status, _ = await connection.request(post_request("/v1/device-events", token, body))
            statuses.append(status)
        finally:
            pool.put_nowait(connection)

    start = time.monotonic()
    tasks = []
    for i, token in enumerate(tokens):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(token)))
    await asyncio.gather(*tasks)
    return statuses


async def post_batches(url: str, tokens: list[str], batches: int, rate: float) -> tuple[int, int]:
    """`batches` of 100 readings, round robin over the devices (one connection each, one batch
    in flight per device), at most `rate` batches a second; (readings accepted, failures)."""
    connections = [await connect(url) for _ in tokens]
    seqs = [time.time_ns() // 1000] * len(tokens)
    accepted = failures = 0
    per_device = [batches // len(tokens) + (i < batches % len(tokens)) for i in range(len(tokens))]
    start = time.monotonic()

    async def device(i: int) -> None:
        nonlocal accepted, failures
        for n in range(per_device[i]):
            delay = start + (n * len(tokens) + i) / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body = readings_body(seqs[i], datetime.now(UTC))
            request = post_request("/v1/telemetry", tokens[i], body)
            status, answer = await connections[i].request(request)
            seqs[i] += BATCH
            if status == 202:
                accepted += orjson.loads(answer)["accepted"]
            else:
                failures += 1

    await asyncio.gather(*(device(i) for i in range(len(tokens))))
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    return accepted, failures


async def get_many(url: str, path: str, count: int) -> None:
    connection = await connect(url)
    raw = b"GET %s HTTP/1.1\r\nHost: iot\r\n\r\n" % path.encode()
    for _ in range(count):
        status, _ = await connection.request(raw)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
    if connection.transport is not None:
        connection.transport.close()


async def measured(pid: int, work: Awaitable[object]) -> float:
    """CPU seconds the process spent while `work` ran."""
    before = cpu_seconds(pid)
    await work
    return cpu_seconds(pid) - before


async def fresh_database(dsn: str) -> tuple[str, str]:
    """A new database on the server of `dsn`: (its SQLAlchemy URL, its name)."""
    name = f"lane_cpu_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = dsn.replace("postgresql://", "postgresql+asyncpg://", 1).rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def drop_database(dsn: str, name: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> str:
    warm_falls = 100
    database_url, database = await fresh_database(args.dsn)
    spy: Path | None = args.py_spy
    try:
        await ensure_registry_topics(args.bootstrap)
        fall_beds = [f"cb-{uuid.uuid4().hex[:10]}" for _ in range(warm_falls + args.falls)]
        telemetry_beds = [f"ct-{uuid.uuid4().hex[:10]}" for _ in range(TELEMETRY_DEVICES)]
        log(f"database {database}: {len(fall_beds) + len(telemetry_beds)} beds ...")
        await prepare_database(database_url, fall_beds + telemetry_beds, PROVIDER)
        alarm_port, telemetry_port = free_port(), free_port()
        alarm_url = f"http://127.0.0.1:{alarm_port}"
        telemetry_url = f"http://127.0.0.1:{telemetry_port}"
        with (
            tempfile.TemporaryDirectory(prefix="lane-cpu-") as tmp,
            lane_process(
                "alarm-lane", alarm_port, database_url, args.bootstrap, Path(tmp)
            ) as alarm,
            lane_process(
                "telemetry-lane", telemetry_port, database_url, args.bootstrap, Path(tmp)
            ) as telemetry,
        ):
            try:
                await wait_ready(alarm_url, args.ready_within)
                await wait_ready(telemetry_url, args.ready_within)
                log("registering devices ...")
                chunks = [fall_beds[i::8] for i in range(8)]
                found = await asyncio.gather(
                    *(register_devices(alarm_url, c, "fall_detector", PROVIDER) for c in chunks)
                )
                fall_tokens = [token for tokens in found for token in tokens]
                telemetry_tokens = await register_devices(
                    alarm_url, telemetry_beds, "vital_signs_monitor", PROVIDER
                )
                log("warming up (caches, statements, connections) ...")
                await post_falls(alarm_url, fall_tokens[:warm_falls], args.fall_rate)
                await post_batches(telemetry_url, telemetry_tokens, 200, args.batch_rate)
                await get_many(alarm_url, "/healthz", 200)
                await asyncio.sleep(2)  # the warm-up's marks and flushes done

                speeds = [python_baseline_ms()]  # the machine's speed, around the phases
                idle_seconds = 5.0
                idle = await measured(alarm.pid, asyncio.sleep(idle_seconds))
                healthz = await measured(alarm.pid, get_many(alarm_url, "/healthz", args.gets))
                log(f"falls: {args.falls} at {args.fall_rate:.0f}/s ...")
                statuses: list[int] = []

                async def falls() -> None:
                    statuses.extend(
                        await post_falls(alarm_url, fall_tokens[warm_falls:], args.fall_rate)
                    )

                with py_spy(spy, "alarm", alarm.pid, args.py_spy_raw):
                    fall_cpu = await measured(alarm.pid, falls())
                speeds.append(python_baseline_ms())
                refused = sum(1 for s in statuses if s != 201)
                if refused:
                    raise SystemExit(f"{refused} falls were not answered 201")
                log(f"telemetry: {args.batches} batches of {BATCH} at {args.batch_rate:.0f}/s ...")
                outcome: list[tuple[int, int]] = []

                async def batches() -> None:
                    outcome.append(
                        await post_batches(
                            telemetry_url, telemetry_tokens, args.batches, args.batch_rate
                        )
                    )

                with py_spy(spy, "telemetry", telemetry.pid, args.py_spy_raw):
                    telemetry_cpu = await measured(telemetry.pid, batches())
                speeds.append(python_baseline_ms())
                readings, failures = outcome[0]
                if failures:
                    raise SystemExit(f"{failures} telemetry batches were not answered 202")
            finally:
                if alarm.poll() is not None or telemetry.poll() is not None:
                    for name in os.listdir(tmp):
                        log(f"--- {name}\n" + (Path(tmp) / name).read_text()[-4000:])
    finally:
        await drop_database(args.dsn, database)
    figures = {
        "alarm_cpu_ms_per_post": f"{fall_cpu * 1000 / args.falls:.2f}",
        "telemetry_cpu_us_per_reading": f"{telemetry_cpu * 1e6 / readings:.1f}",
        "telemetry_cpu_ms_per_batch": f"{telemetry_cpu * 1000 / (readings / BATCH):.2f}",
        "baseline_healthz_cpu_ms": f"{healthz * 1000 / args.gets:.2f}",
        "baseline_idle_cpu_ms_per_s": f"{idle * 1000 / idle_seconds:.1f}",
        "baseline_python_ms": f"{sum(speeds) / len(speeds):.0f}",
        "falls": str(args.falls),
        "readings": str(readings),
    }
    return " ".join(f"{k}={v}" for k, v in figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True, help="a PostgreSQL server (a database is made)")
    parser.add_argument("--bootstrap", required=True, help="Kafka")
    parser.add_argument("--falls", type=int, default=1200)
    parser.add_argument("--fall-rate", type=float, default=40.0)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--batch-rate", type=float, default=200.0)
    parser.add_argument("--gets", type=int, default=1000)
    # a process at a low priority on a busy box may take minutes to start
    parser.add_argument("--ready-within", type=float, default=900.0)
    parser.add_argument("--py-spy", type=Path, default=None, help="folder for flame graphs")
    parser.add_argument(
        "--py-spy-raw", action="store_true", help="collapsed stacks (.txt) instead of SVG"
    )
    args = parser.parse_args()
    if args.py_spy is not None:
        args.py_spy = args.py_spy.resolve()
        args.py_spy.mkdir(parents=True, exist_ok=True)
    print(asyncio.run(run(args)), flush=True)


if __name__ == "__main__":
    main()
