"""Alarm lane under telemetry load: falls posted at 40/s while 20,000 readings/s flow.

Latency is from the instant a fall is due (open-loop schedule: queueing shows) to consuming its
alarm event (alarm.raised or alarm.repeated, matched by alarm id and count) from iot.alarms.v1.
A fall whose POST failed or whose event never arrived counts as lost.

The stack, per run on a fresh PostgreSQL cluster (deploy/postgres/pg.sh) and the broker of
scripts/bench.sh, in the production layout (`--layout lanes`, see svc-iot-ingest/README.md):
- alarm API: uvicorn, device events + people's routes + escalation loops (nice 0);
- telemetry API: uvicorn, the devices' telemetry (nice `--telemetry-nice`, 5);
- worker: `python -m iot_ingest.worker`, rule engine + storage consumers (nice `--worker-nice`, 10);
and the load: the telemetry flood in a process of its own (bench/telemetry_load.py, nice 0), the
falls and the alarm consumer in this one. `--layout worker` serves both lanes from one API
process (the layout before issue 15), `--layout single` runs everything in one process.

Measured, and printed per run on stderr:
- the stages of each fall: the client's own delay, the round trip, inside the handler (parse,
  database transaction, of which COMMIT and the hand-off to the producer; the service's
  Server-Timing header), outside it (HTTP, framework, waiting for the event loop), commit ->
  producer (the event's Kafka timestamp), producer -> consumed;
- CPU from /proc (bench/box_monitor.py): the box, each process of the stack, everything else on
  the machine (named), steal, and each process's run-queue wait (runnable, no CPU free);
- the alarm API's event-loop lag and GC pauses (its /metrics), express vs relay publishing;
- PostgreSQL commit latency: a probe committing one row every 100 ms from its own connection;
- per 15 s window: the p99 next to the CPU of the box and of the other programs.
Three runs (`--runs`); the median of their p99s is the figure. Progress every 15 s on stderr.

Last line (stdout): key=value figures, `alarm_p99_ms` the median of the runs' p99s; CPU figures
are percent of ONE core (200 = two cores busy), means over the runs, except `box_busy_pct`
(percent of the whole box).
`python bench/alarm_bench.py --bootstrap 127.0.0.1:39292 [--falls 10000] [--runs 3]`
(`make bench-alarm ARGS="--falls 1200 --runs 1"` for a short run)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

from box_monitor import (  # bench/ is on the path
    BoxMonitor,
    Group,
    Usage,
    children_of,
    descendants_of,
)
from ingest_bench import (
    connect,
    free_port,
    log,
    post_request,
    prepare_database,
    register_devices,
    wait_ready,
)

from chassis.db import create_engine
from chassis.kafka.topics import ensure_registry_topics
from homebed_schemas.topics import IOT_ALARMS
from iot_ingest.tables import consumer_offsets

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 15.0


# ------------------------------------------------------------------ one fall, its stages
@dataclass
class Fall:
    due: float  # wall clock, as every instant here (the server's and Kafka's are wall clock too)
    written: float = 0.0
    answered: float = 0.0
    status: int = 0
    key: tuple[str, int] | None = None
    timing: dict[str, float] = field(default_factory=dict)  # Server-Timing durations, ms
    committed: float | None = None
    express: bool = False
    produced: float | None = None  # Kafka CreateTime: handed to the producer
    consumed: float | None = None
    copies: int = 0

    @property
    def latency_ms(self) -> float | None:
        return None if self.consumed is None else (self.consumed - self.due) * 1000


_TIMING = re.compile(rb'([a-z_]+)(?:;dur=([0-9.]+))?(?:;desc="?([0-9.]+)"?)?')


def server_timing(head: bytes) -> tuple[dict[str, float], dict[str, float]]:
    """(durations in ms, descriptions as numbers) of a Server-Timing header."""
    start = head.find(b"\r\nserver-timing:")
    if start < 0:
        return {}, {}
    end = head.find(b"\r\n", start + 2)
    value = head[start + 16 : end if end >= 0 else len(head)]
    durations, descriptions = {}, {}
    for part in value.split(b","):
        match = _TIMING.match(part.strip())
        if match is None:
            continue
        name = match.group(1).decode()
        if match.group(2):
            durations[name] = float(match.group(2))
        if match.group(3):
            descriptions[name] = float(match.group(3))
    return durations, descriptions


# ------------------------------------------------------------------ the stack
def weigh_session(pid: int, nice: int) -> None:
    """Run `pid`, its threads and every process below it at `nice`, and weigh its session's
    autogroup the same.

    The autogroup alone is not enough: with sched_autogroup off (a kernel setting; this box has
    it off) the kernel ignores it and orders threads by their own nice levels, which are per
    thread and set at a thread's start: the JVM's and PostgreSQL's are already running.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    for process in (pid, *descendants_of(pid)):
        try:
            tasks = os.listdir(f"/proc/{process}/task")
        except OSError:  # ended meanwhile
            continue
        for task in tasks:
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.setpriority(os.PRIO_PROCESS, int(task), nice)


def at_nice(nice: int, command: list[str]) -> list[str]:
    """`command` run at `nice` itself: nice(1) adds to the caller's level, and the bench runs at
    --infra-nice, so the adjustment is taken from this thread's own level."""
    return ["nice", "-n", str(nice - os.getpriority(os.PRIO_PROCESS, 0)), *command]


@contextlib.contextmanager
def throwaway_postgres(tmp: str, nice: int = 0) -> Iterator[tuple[str, Path]]:
    """A fresh cluster from deploy/postgres/pg.sh (its postmaster a session of its own, weighed
    at `nice`): (asyncpg DSN, data directory)."""
    os.chmod(tmp, 0o755)  # noqa: S103 - the cluster runs as the postgres user
    data = Path(tmp) / "pg"
    started = subprocess.run(
        ["bash", str(ROOT / "deploy/postgres/pg.sh"), "start", str(data), str(free_port())],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    dsn = started.stdout.strip().splitlines()[-1]
    if nice:
        weigh_session(int((data / "postmaster.pid").read_text().split()[0]), nice)
    try:
        yield dsn, data
    finally:
        subprocess.run(
            ["bash", str(ROOT / "deploy/postgres/pg.sh"), "stop", str(data)],
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip


@dataclass
class Stack:
    alarm_url: str
    telemetry_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    groups: dict[str, str]  # consumer groups of the worker: rules, storage
    logs: dict[str, tuple[Path, int]]  # each process's output: file, where this run starts

    def priorities(self) -> str:
        """Each process's nice level and its session's autogroup's, as the kernel has them."""
        found = []
        for name, process in self.processes.items():
            stat = Path(f"/proc/{process.pid}/stat").read_text()
            nice = stat[stat.rfind(")") + 2 :].split()[16]
            try:
                group = Path(f"/proc/{process.pid}/autogroup").read_text().split()[-1]
            except OSError:
                group = "-"
            found.append(f"{name} pid {process.pid} nice {nice} (autogroup {group})")
        return ", ".join(found)

    def log_errors(self) -> str:
        counts = []
        for name, (path, offset) in self.logs.items():
            with path.open("rb") as output:
                output.seek(offset)
                errors = sum(1 for line in output if b'"level":"ERROR"' in line)
            counts.append(f"{name} {errors}")
        folder = next(iter(self.logs.values()))[0].parent if self.logs else "-"
        return f"server output in {folder}; ERROR lines: " + ", ".join(counts)


@contextlib.contextmanager
def run_stack(args: argparse.Namespace, database_url: str) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:6]
    groups = {"rules": f"bench-rules-{suffix}", "storage": f"bench-storage-{suffix}"}
    base = {
        **os.environ,
        "HOMEBED_IOT_INGEST_DATABASE_URL": database_url,
        "HOMEBED_KAFKA_BOOTSTRAP": args.bootstrap,
        "HOMEBED_IOT_INGEST_TELEMETRY_RATE_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_TELEMETRY_BURST_PER_DEVICE": "100000",
        "HOMEBED_IOT_INGEST_BEDS_GROUP": f"bench-beds-{suffix}",
        "HOMEBED_IOT_INGEST_RULES_GROUP": groups["rules"],
        "HOMEBED_IOT_INGEST_STORAGE_GROUP": groups["storage"],
        "HOMEBED_IOT_INGEST_OUTBOX_EXPRESS": "true" if args.publish == "express" else "false",
        "HOMEBED_LOG_LEVEL": "WARNING",
    }
    alarm_port = free_port()
    # name: (command, environment, nice); the roles are the service's (its README, "Running")
    plan: dict[str, tuple[list[str], dict[str, str], int]] = {
        "alarm-api": (
            uvicorn(alarm_port),
            {
                **base,
                "HOMEBED_IOT_INGEST_ROLE": "all" if args.layout == "single" else "alarm-lane",
                "HOMEBED_IOT_INGEST_SERVER_TIMING": "true",
            },
            args.alarm_nice,
        )
    }
    telemetry_url = f"http://127.0.0.1:{alarm_port}"
    if args.layout == "lanes":
        telemetry_port = free_port()
        telemetry_url = f"http://127.0.0.1:{telemetry_port}"
        plan["telemetry-api"] = (
            uvicorn(telemetry_port),
            {**base, "HOMEBED_IOT_INGEST_ROLE": "telemetry-lane"},
            args.telemetry_nice,
        )
    if args.layout in ("lanes", "worker"):
        plan["worker"] = (
            [sys.executable, "-m", "iot_ingest.worker"],
            {**base, "HOMEBED_IOT_INGEST_ROLE": "worker"},
            args.worker_nice,
        )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    folder = Path(os.environ.get("HOMEBED_BENCH_LOG_DIR") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    logs: dict[str, tuple[Path, int]] = {}
    try:
        for name, (command, environment, nice) in plan.items():
            path = folder / f"alarm-bench-{name}.log"
            with path.open("ab") as output:
                logs[name] = (path, output.tell())
                processes[name] = start_prioritised(command, environment, nice, output)
        yield Stack(f"http://127.0.0.1:{alarm_port}", telemetry_url, processes, groups, logs)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_prioritised(
    command: list[str], environment: dict[str, str], nice: int, output: IO[bytes]
) -> subprocess.Popen[bytes]:
    """A process of its own session, at `nice` for itself and for its session's autogroup.

    As scripts/run.sh does: with sched_autogroup on (Linux's default on most distributions and
    VMs) the CPU is shared between sessions first, and a nice level only orders the processes of
    one session, so each process of the stack is a session (as each service is a container in
    production) whose weight carries the priority. With it off, the threads' own nice levels do,
    which the process starts at (its threads inherit them).
    """
    process = subprocess.Popen(
        at_nice(nice, command),
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with contextlib.suppress(OSError):  # no autogroups here: nice alone orders the processes
        Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))
    return process


def uvicorn(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "iot_ingest.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "75",
    ]  # fmt: skip


async def wait_consuming(database_url: str, groups: list[str], within: float = 120.0) -> float:
    """Seconds until every group stored offsets (assigned, a first batch applied)."""
    started = time.monotonic()
    engine = create_engine(database_url)
    try:
        while time.monotonic() - started < within:
            async with engine.connect() as connection:
                found = await connection.scalar(
                    select(func.count(func.distinct(consumer_offsets.c.group_id))).where(
                        consumer_offsets.c.group_id.in_(groups)
                    )
                )
            if found == len(groups):
                return time.monotonic() - started
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    raise SystemExit(f"the worker's consumers {groups} did not start within {within:.0f} s")


# ------------------------------------------------------------------ the load
class TelemetryLoad:
    """bench/telemetry_load.py in its own process; counts what it reports every second."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.points: list[tuple[float, int, int]] = []  # (at, readings, failures)
        self._reader: asyncio.Task[None] | None = None

    async def start(self, url: str, tokens_file: Path, readings_per_s: float) -> None:
        # a session of its own (see start_prioritised): the devices are not this process
        # at nice 0: the devices are not the measuring clock (that runs at --infra-nice)
        self.process = await asyncio.create_subprocess_exec(
            *at_nice(0, [sys.executable, str(Path(__file__).parent / "telemetry_load.py")]),
            "--url", url, "--tokens-file", str(tokens_file),
            "--readings-per-s", str(readings_per_s),
            stdout=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            point = orjson.loads(line)
            self.points.append((point["at"], point["readings"], point["failures"]))

    def rate(self, start: float, end: float) -> tuple[float, int]:
        """(readings/s, failed requests) between two instants."""
        inside = [p for p in self.points if start - 1 <= p[0] <= end + 1]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return 0.0, 0
        first, last = inside[0], inside[-1]
        return (last[1] - first[1]) / (last[0] - first[0]), last[2] - first[2]

    def current_rate(self) -> float:
        if len(self.points) < 6:
            return 0.0
        return self.rate(self.points[-6][0], self.points[-1][0])[0]

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()
        if self._reader is not None:
            await self._reader


class PgProbe:
    """Commits one row every 100 ms on a connection of its own (a thread with its own loop)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.samples: list[tuple[float, float]] = []  # (at, commit ms)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _run(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS bench_commit_probe "
                "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
            )
            while not self._stop.is_set():
                started = time.perf_counter()
                await connection.execute("INSERT INTO bench_commit_probe DEFAULT VALUES")
                self.samples.append((time.time(), (time.perf_counter() - started) * 1000))
                await asyncio.sleep(0.1)
        finally:
            await connection.close()

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in self.samples if start <= at <= end]


# ------------------------------------------------------------------ falls and alarms
async def alarm_consumer(bootstrap: str) -> AIOKafkaConsumer:
    # the broker answers a fetch as soon as one byte is there (fetch_min_bytes=1): a long wait
    # adds no latency, and a short one spins (5 ms: 200 fetches a second, the broker's CPU)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=500
    )
    await consumer.start()
    partitions = [TopicPartition(IOT_ALARMS.name, p) for p in range(IOT_ALARMS.partitions)]
    consumer.assign(partitions)
    for tp, offset in (await consumer.end_offsets(partitions)).items():
        consumer.seek(tp, offset)
    return consumer


@dataclass
class Seen:
    consumed: float  # the first copy
    produced: float  # the earliest Kafka CreateTime of the copies (the express hand-off)
    copies: int = 1  # another process's outbox relay may publish it too (consumers dedupe)


async def collect(
    consumer: AIOKafkaConsumer, seen: dict[tuple[str, int], Seen], stop: asyncio.Event
) -> None:
    """(alarm id, count) -> when its event was first consumed and first produced."""
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=50)
        received = time.time()
        for records in batches.values():
            for record in records:
                event = orjson.loads(record.value)
                if event["type"] in ("alarm.raised", "alarm.repeated"):
                    key = (event["subject"], event["data"]["count"])
                    produced = record.timestamp / 1000
                    found = seen.get(key)
                    if found is None:
                        seen[key] = Seen(received, produced)
                    else:
                        found.produced = min(found.produced, produced)
                        found.copies += 1


async def post_falls(url: str, tokens: list[str], falls: list[Fall], rate: float) -> None:
    """Open loop: fall i is due at start + i / rate, over one keep-alive connection per device."""
    connections = [await connect(url) for _ in tokens]
    seqs = [0] * len(tokens)
    busy = [asyncio.Lock() for _ in tokens]
    start = time.time()

    async def one(i: int) -> None:
        slot = i % len(tokens)
        fall = falls[i]
        async with busy[slot]:
            seqs[slot] += 1
            body = orjson.dumps(
                {"seq": seqs[slot], "ts": datetime.now(UTC).isoformat(), "kind": "fall_detected"}
            )
            if connections[slot].closed:  # the server may close an idle keep-alive
                connections[slot] = await connect(url)
            fall.written = time.time()
            try:
                fall.status, answer = await connections[slot].request(
                    post_request("/v1/device-events", tokens[slot], body)
                )
            except ConnectionError:
                return
            fall.answered = time.time()
            head = connections[slot].head
        if fall.status != 201:
            return
        alarm = orjson.loads(answer)
        fall.key = (alarm["alarm_id"], alarm["count"])
        fall.timing, descriptions = server_timing(head)
        fall.committed = descriptions.get("committed")
        fall.express = descriptions.get("express", 0) > 0

    tasks = []
    for i, fall in enumerate(falls):
        fall.due = start + i / rate
        delay = fall.due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()


# ------------------------------------------------------------------ /metrics of a process
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
Metrics = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Metrics:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    found: Metrics = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            labels = frozenset(_LABEL.findall(match.group(2) or ""))
            found[(match.group(1), labels)] = float(match.group(3))
    return found


def histogram(
    before: Metrics, after: Metrics, name: str, **labels: str
) -> tuple[list[tuple[float, float]], float, float]:
    """(cumulative buckets [(upper bound, count)], count, sum) observed between two scrapes."""
    wanted = set(labels.items())
    buckets: dict[float, float] = {}
    count = total = 0.0
    for (metric, metric_labels), value in after.items():
        if not wanted <= metric_labels:
            continue
        previous = before.get((metric, metric_labels), 0.0)
        if metric == f"{name}_bucket":
            bound = float(dict(metric_labels)["le"])
            buckets[bound] = buckets.get(bound, 0.0) + value - previous
        elif metric == f"{name}_count":
            count += value - previous
        elif metric == f"{name}_sum":
            total += value - previous
    return sorted(buckets.items()), count, total


def bucket_quantile(buckets: list[tuple[float, float]], count: float, q: float) -> float | None:
    """The upper bound (s) of the bucket holding quantile `q`; inf when past the last bucket."""
    if count <= 0:
        return None
    return next((bound for bound, n in buckets if n >= q * count), float("inf"))


def counted_above(buckets: list[tuple[float, float]], count: float, bound: float) -> float:
    return count - next((n for b, n in buckets if b >= bound), count)


def counter(before: Metrics, after: Metrics, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(
        value - before.get(key, 0.0)
        for key, value in after.items()
        if key[0] == name and wanted <= key[1]
    )


# ------------------------------------------------------------------ figures
def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<62} {'n/a':>8}"
    cells = [quantile(values, q) for q in (0.5, 0.9, 0.99)] + [max(values)]
    return f"  {label:<62} " + " ".join(f"{c:8.1f}" for c in cells) + f"  ({len(values)})"


@dataclass
class RunResult:
    p50: float
    p99: float
    worst_window: float
    worst_window_label: str
    first_window: float
    lost: int
    readings_per_s: float
    usage: Usage | None
    loop_lag_p99_ms: float | None
    gc_over_50ms: float


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return "> last bucket" if seconds == float("inf") else f"<= {seconds * 1000:.0f} ms"


def report_run(
    falls: list[Fall],
    start: float,
    end: float,
    monitor: BoxMonitor,
    probe: PgProbe | None,
    metrics: dict[str, tuple[Metrics, Metrics]],
    load: TelemetryLoad,
) -> RunResult:
    answered = [f for f in falls if f.status == 201 and f.key is not None]
    done = [f for f in answered if f.consumed is not None]
    lost = len(falls) - len(done)
    latencies = [f.latency_ms for f in done if f.latency_ms is not None]
    timed = [f for f in answered if f.timing]

    def spent(name: str) -> list[float]:
        return [f.timing[name] for f in timed if name in f.timing]

    stages: list[tuple[str, list[float]]] = [
        (
            "due -> written (client, or queued behind the device's last fall)",
            [(f.written - f.due) * 1000 for f in answered],
        ),
        ("written -> 201 read (round trip)", [(f.answered - f.written) * 1000 for f in answered]),
        ("  in the handler: parse (token, body)", spent("parse")),
        ("  in the handler: database transaction", spent("db")),
        ("    of which COMMIT", spent("commit")),
        ("    of which hand-off to the producer", spent("handoff")),
        (
            "  outside the handler (HTTP, framework, loop wait)",
            [
                (f.answered - f.written) * 1000 - f.timing.get("parse", 0) - f.timing.get("db", 0)
                for f in timed
            ],
        ),
        (
            "commit -> producer (earliest Kafka CreateTime)",
            [(f.produced - f.committed) * 1000 for f in done if f.produced and f.committed],
        ),
        (
            "producer -> consumed (ack, broker, fetch)",
            [(f.consumed - f.produced) * 1000 for f in done if f.produced and f.consumed],
        ),
        ("due -> consumed (END TO END)", latencies),
    ]
    log(f"  {'stage (ms)':<62} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}")
    for label, values in stages:
        log(row(label, values))
    twice = sum(1 for f in done if f.copies > 1)
    express = sum(1 for f in answered if f.express)
    log(
        f"  published: {express} express (right after the commit), "
        f"{len(answered) - express} by the outbox relay; {twice} also by a relay (duplicates)"
    )

    # the alarm API's own view: event-loop lag, GC pauses, express outcomes
    lag_p99: float | None = None
    gc_over = 0.0
    for process, (before, after) in metrics.items():
        buckets, count, total = histogram(before, after, "homebed_event_loop_lag_seconds")
        p99 = bucket_quantile(buckets, count, 0.99)
        if process == "alarm-api":
            lag_p99 = None if p99 is None else p99 * 1000
        log(
            f"  {process}: event-loop lag p50 {ms(bucket_quantile(buckets, count, 0.5))}, "
            f"p99 {ms(p99)}, mean {1000 * total / count if count else 0:.1f} ms, "
            f"{counted_above(buckets, count, 0.05):.0f} of {count:.0f} samples late > 50 ms"
        )
        pauses = []
        for generation in ("0", "1", "2"):
            buckets, count, total = histogram(
                before, after, "homebed_gc_pause_seconds", generation=generation
            )
            over = counted_above(buckets, count, 0.05)
            if process == "alarm-api":
                gc_over += over
            pauses.append(
                f"gen{generation} {count:.0f} ({1000 * total:.0f} ms in all, "
                f"p99 {ms(bucket_quantile(buckets, count, 0.99))}, {over:.0f} > 50 ms)"
            )
        log(f"  {process}: GC pauses " + ", ".join(pauses))
        if process == "alarm-api":
            outcomes = {
                o: counter(before, after, "homebed_outbox_express_total", outcome=o)
                for o in ("handed", "queued", "failed")
            }
            log(
                "  alarm-api: express publisher "
                + ", ".join(f"{n:.0f} {o}" for o, n in outcomes.items())
            )
    if probe is not None:
        commits = probe.between(start, end)
        log(row("PostgreSQL commit (probe, own connection)", commits))

    usage = monitor.usage(start, end)
    whole = monitor.usage()
    if usage is not None:
        log(
            f"  CPU over {usage.seconds:.0f} s ({os.cpu_count()} CPUs): box {usage.box_busy_pct:.0f}% "
            f"busy = {usage.cores_busy:.2f} cores, steal {usage.steal_pct:.1f}%; "
            f"other programs {usage.others_pct:.0f}% of a core"
        )
        log("    process          nice    CPU % of a core (peak 1 s)   waited for a CPU (ms per s)")
        for name, pct in usage.group_pct.items():
            log(
                f"    {name:<16} {monitor.nice_levels.get(name, '-'):>6}  "
                f"{pct:6.1f} ({usage.group_peak_pct[name]:5.1f})"
                f"              {usage.group_wait_ms_per_s[name]:8.1f}"
            )
        log(f"    {'other programs':<16} {usage.others_pct:6.1f}")
    if whole is not None and whole.top_others:
        log(
            "  busiest other programs (whole run): "
            + "; ".join(f"{name} {pct:.0f}%" for name, pct in whole.top_others)
        )

    # per window: is the tail spread over the run, or where the box was busiest?
    windows: dict[int, list[Fall]] = {}
    for fall in falls:
        windows.setdefault(int((fall.due - start) // WINDOW), []).append(fall)
    log(
        "  window      n  lost   p99 ms (of which: round trip, Kafka)   box %  others %"
        "  alarm-api % (waited ms/s)  pg p99 ms"
    )
    window_p99: dict[int, float] = {}
    for index in sorted(windows):
        inside = windows[index]
        values = [f.latency_ms for f in inside if f.latency_ms is not None]
        trips = [(f.answered - f.written) * 1000 for f in inside if f.answered]
        kafka = [(f.consumed - f.produced) * 1000 for f in inside if f.consumed and f.produced]
        w_start = start + index * WINDOW
        w_usage = monitor.usage(w_start, w_start + WINDOW)
        pg = probe.between(w_start, w_start + WINDOW) if probe is not None else []
        full = max(len(w) for w in windows.values())
        if values and len(inside) * 3 >= full:  # the last, partial window counts if a third full
            window_p99[index] = quantile(values, 0.99)
        p99s = [quantile(v, 0.99) if v else float("nan") for v in (values, trips, kafka)]
        cpu = (
            f"{w_usage.box_busy_pct:7.0f} {w_usage.others_pct:9.0f} "
            f"{w_usage.group_pct.get('alarm-api', 0):12.1f} "
            f"({w_usage.group_wait_ms_per_s.get('alarm-api', 0):6.1f})    "
            if w_usage is not None
            else " " * 48
        )
        log(
            f"  {index * WINDOW:4.0f}-{(index + 1) * WINDOW:<4.0f} {len(inside):5d} "
            f"{len(inside) - len(values):5d} {p99s[0]:8.1f} ({p99s[1]:8.1f}, {p99s[2]:8.1f})"
            f"           {cpu}" + (f"{quantile(pg, 0.99):9.1f}" if pg else "")
        )
    readings_per_s, failed = load.rate(start, end)
    log(f"  telemetry: {readings_per_s:.0f} readings/s accepted during the falls, {failed} failed requests")  # fmt: skip
    worst = max(window_p99, key=window_p99.__getitem__) if window_p99 else 0
    return RunResult(
        p50=statistics.median(latencies) if latencies else float("nan"),
        p99=quantile(latencies, 0.99) if latencies else float("nan"),
        worst_window=window_p99.get(worst, float("nan")),
        worst_window_label=f"{worst * WINDOW:.0f}-{(worst + 1) * WINDOW:.0f} s",
        first_window=window_p99.get(0, float("nan")),
        lost=lost,
        readings_per_s=readings_per_s,
        usage=usage,
        loop_lag_p99_ms=lag_p99,
        gc_over_50ms=gc_over,
    )


# ------------------------------------------------------------------ one run
async def one_run(args: argparse.Namespace, number: int) -> RunResult:
    label = f"[run {number}/{args.runs}]"
    with tempfile.TemporaryDirectory(prefix="alarm-bench-") as tmp, contextlib.ExitStack() as stack:
        if args.database_url:
            dsn, pg_data = args.database_url.replace("+asyncpg", ""), None
        else:
            dsn, pg_data = stack.enter_context(throwaway_postgres(tmp, args.infra_nice))
        database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        await ensure_registry_topics(args.bootstrap)
        provider = "bench-provider"
        devices = args.fall_devices + args.telemetry_devices
        bed_ids = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(devices)]
        await prepare_database(database_url, bed_ids, provider)
        with run_stack(args, database_url) as running:
            await wait_ready(running.alarm_url)
            if running.telemetry_url != running.alarm_url:
                await wait_ready(running.telemetry_url)
            log(f"{label} stack: {running.priorities()}")
            fall_tokens = await register_devices(
                running.alarm_url, bed_ids[: args.fall_devices], "fall_detector", provider
            )
            telemetry_tokens = await register_devices(
                running.alarm_url, bed_ids[args.fall_devices :], "vital_signs_monitor", provider
            )
            tokens_file = Path(tmp) / "telemetry-tokens.json"
            tokens_file.write_bytes(orjson.dumps(telemetry_tokens))
            load = TelemetryLoad()
            await load.start(running.telemetry_url, tokens_file, args.readings_per_s)
            try:
                waited = await wait_consuming(database_url, list(running.groups.values()))
                log(f"{label} telemetry flowing, the rule engine and storage consuming after {waited:.1f} s; ramp {args.ramp:.0f} s")  # fmt: skip
                await asyncio.sleep(args.ramp)
                return await measure(args, label, running, fall_tokens, load, dsn, pg_data)
            finally:
                await load.stop()


def kafka_pid() -> int | None:
    """The broker of scripts/bench.sh (it says where its data, and pid file, are)."""
    data = os.environ.get("HOMEBED_BENCH_KAFKA_DATA")
    if not data or not (Path(data) / "kafka.pid").exists():
        return None
    return int((Path(data) / "kafka.pid").read_text().strip())


def stack_groups(running: Stack, load: TelemetryLoad, pg_data: Path | None) -> list[Group]:
    groups = [Group(name, lambda p=process.pid: [p]) for name, process in running.processes.items()]
    kafka = kafka_pid()
    if kafka is not None:
        groups.append(Group("kafka", lambda: [kafka]))
    if pg_data is not None and (pg_data / "postmaster.pid").exists():
        postmaster = int((pg_data / "postmaster.pid").read_text().split()[0])
        groups.append(
            Group("postgres", lambda: [postmaster, *children_of(postmaster)], reaps_children=True)
        )
    assert load.process is not None
    load_pid = load.process.pid
    groups.append(Group("load-generator", lambda: [load_pid]))
    me = os.getpid()
    groups.append(Group("bench (falls)", lambda: [me]))
    return groups


async def measure(
    args: argparse.Namespace,
    label: str,
    running: Stack,
    fall_tokens: list[str],
    load: TelemetryLoad,
    dsn: str,
    pg_data: Path | None,
) -> RunResult:
    consumer = await alarm_consumer(args.bootstrap)
    seen: dict[tuple[str, int], Seen] = {}
    stop_collecting = asyncio.Event()
    collector = asyncio.create_task(collect(consumer, seen, stop_collecting))
    monitor = BoxMonitor(stack_groups(running, load, pg_data))
    probe = PgProbe(dsn) if pg_data is not None or args.database_url else None
    scraped = {"alarm-api": running.alarm_url}
    if running.telemetry_url != running.alarm_url:
        scraped["telemetry-api"] = running.telemetry_url
    before = {name: await scrape(url) for name, url in scraped.items()}
    # this process is the clock: a full collection over its import-time heap (aiokafka,
    # SQLAlchemy, httpx) stalled it for ~300 ms early in a run, charged to the first falls
    gc.collect()
    gc.freeze()
    monitor.start()
    if probe is not None:
        probe.start()
    falls = [Fall(due=0.0) for _ in range(args.falls)]
    log(f"{label} posting {args.falls} falls at {args.fall_rate:g}/s, {args.readings_per_s:.0f} readings/s flowing ({args.layout} layout, {args.publish} publishing)")  # fmt: skip
    start = time.time()

    async def progress() -> None:
        while True:
            await asyncio.sleep(WINDOW)
            posted = [f for f in falls if f.written]
            got = [
                (seen[f.key].consumed - f.due) * 1000
                for f in posted
                if f.key is not None and f.key in seen
            ]
            usage = monitor.usage(time.time() - WINDOW, time.time())
            log(
                f"{label} {time.time() - start:5.0f} s: {len(posted)}/{len(falls)} falls posted, "
                f"{len(got)} alarms consumed, p99 so far {quantile(got, 0.99) if got else float('nan'):.1f} ms; "
                f"{load.current_rate():.0f} readings/s"
                + (
                    f"; box {usage.box_busy_pct:.0f}% busy, other programs {usage.others_pct:.0f}% of a core"
                    if usage is not None
                    else ""
                )
            )  # fmt: skip

    reporter = asyncio.create_task(progress())
    try:
        await post_falls(running.alarm_url, fall_tokens, falls, args.fall_rate)
    finally:
        reporter.cancel()
    end = time.time()
    after = {name: await scrape(url) for name, url in scraped.items()}
    deadline = time.monotonic() + args.grace
    keys = {f.key for f in falls if f.key is not None}
    while time.monotonic() < deadline and not keys <= set(seen):  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    stop_collecting.set()
    await collector
    await consumer.stop()
    monitor.stop()
    if probe is not None:
        probe.stop()
    for fall in falls:
        if fall.key is not None and fall.key in seen:
            found = seen[fall.key]
            fall.consumed, fall.produced, fall.copies = found.consumed, found.produced, found.copies
    log(f"{label} figures ({running.log_errors()}):")
    return report_run(
        falls, start, end, monitor, probe, {n: (before[n], after[n]) for n in scraped}, load
    )


# ------------------------------------------------------------------ main
def summary(results: list[RunResult], args: argparse.Namespace) -> str:
    p99s = [r.p99 for r in results]

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else float("nan")

    def cpu(name: str) -> float:
        return mean([r.usage.group_pct.get(name, 0.0) for r in results if r.usage is not None])

    usages = [r.usage for r in results if r.usage is not None]
    figures = {
        "alarm_p50_ms": f"{statistics.median([r.p50 for r in results]):.1f}",
        "alarm_p99_ms": f"{statistics.median(p99s):.1f}",
        "alarm_p99_runs_ms": "/".join(f"{p:.1f}" for p in p99s),
        "worst_window_ms": f"{max(r.worst_window for r in results):.1f}",
        "first_window_ms": f"{max(r.first_window for r in results):.1f}",
        "lost": str(sum(r.lost for r in results)),
        "readings_per_s": f"{min(r.readings_per_s for r in results):.0f}",
        "box_busy_pct": f"{mean([u.box_busy_pct for u in usages]):.0f}",
        "others_cpu_pct": f"{mean([u.others_pct for u in usages]):.0f}",
        "steal_pct": f"{mean([u.steal_pct for u in usages]):.1f}",
        "alarm_api_cpu_pct": f"{cpu('alarm-api'):.0f}",
        "alarm_api_wait_ms_per_s": f"{mean([u.group_wait_ms_per_s.get('alarm-api', 0.0) for u in usages]):.1f}",
        "telemetry_api_cpu_pct": f"{cpu('telemetry-api'):.0f}",
        "worker_cpu_pct": f"{cpu('worker'):.0f}",
        "kafka_cpu_pct": f"{cpu('kafka'):.0f}",
        "postgres_cpu_pct": f"{cpu('postgres'):.0f}",
        "loadgen_cpu_pct": f"{cpu('load-generator'):.0f}",
        "loop_lag_p99_ms": f"{max((r.loop_lag_p99_ms or 0.0) for r in results):.0f}",
        "gc_pauses_over_50ms": f"{sum(r.gc_over_50ms for r in results):.0f}",
        "runs": str(len(results)),
        "layout": args.layout,
        "publish": args.publish,
        "nice_alarm_infra_telemetry_worker": (
            f"{args.alarm_nice}/{args.infra_nice}/{args.telemetry_nice}/{args.worker_nice}"
        ),
    }  # fmt: skip
    return " ".join(f"{k}={v}" for k, v in figures.items())


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL DSN instead of a throwaway cluster"
    )
    parser.add_argument(
        "--falls", type=int, default=int(os.environ.get("HOMEBED_BENCH_ALARM_FALLS", 10_000))
    )
    parser.add_argument(
        "--fall-rate", type=float, default=40.0, help="falls per second (10,000 at 40/s: 250 s)"
    )
    parser.add_argument(
        "--runs", type=int, default=int(os.environ.get("HOMEBED_BENCH_ALARM_RUNS", 3))
    )
    parser.add_argument("--fall-devices", type=int, default=200)
    parser.add_argument("--readings-per-s", type=float, default=20_000)
    parser.add_argument("--telemetry-devices", type=int, default=20)
    parser.add_argument("--layout", choices=("lanes", "worker", "single"), default="lanes")
    parser.add_argument(
        "--publish",
        choices=("express", "relay"),
        default="express",
        help="express: alarm events sent right after their commit (default); relay: by the "
        "outbox relay only",
    )
    parser.add_argument(
        "--alarm-nice",
        type=int,
        default=-5 if os.geteuid() == 0 else 0,
        help="the alarm lane's nice level (and its session's autogroup). Default -5 where "
        "allowed (root): in production the lane has CPU of its own, here it shares 2 cores with "
        "the load generator, Kafka, PostgreSQL and whatever else runs; 0 otherwise",
    )
    parser.add_argument(
        "--infra-nice",
        type=int,
        default=-5 if os.geteuid() == 0 else 0,
        help="the weight of the sessions of PostgreSQL, Kafka and this benchmark (its clock): "
        "machines of their own in production; -5 where allowed, 0 otherwise",
    )
    parser.add_argument("--telemetry-nice", type=int, default=5)
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds of flood before falls")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    if args.infra_nice:
        weigh_session(os.getpid(), args.infra_nice)  # this process's session: the measuring
        kafka = kafka_pid()
        if kafka is not None:
            weigh_session(kafka, args.infra_nice)  # kafka.sh starts the broker in its own
    results = []
    for number in range(1, args.runs + 1):
        results.append(await one_run(args, number))
        r = results[-1]
        log(
            f"[run {number}/{args.runs}] alarm p50 {r.p50:.1f} ms, p99 {r.p99:.1f} ms, "
            f"worst window {r.worst_window_label} {r.worst_window:.1f} ms, first window "
            f"{r.first_window:.1f} ms, lost {r.lost}, {r.readings_per_s:.0f} readings/s"
        )
    if len(results) > 1:
        log(
            f"p99 of the {len(results)} runs: "
            + ", ".join(f"{r.p99:.1f}" for r in results)
            + f" ms; median {statistics.median(r.p99 for r in results):.1f} ms"
        )
    print(summary(results, args), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
