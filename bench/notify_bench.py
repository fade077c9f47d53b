"""Fall → the caregiver's phone: falls posted at 40/s while 20,000 readings/s flow (as
`make bench-alarm`), each measured from the instant it is due (open loop) to its in-app
notification arriving on the caregiver's open SSE stream (`GET /v1/inbox/stream` of
svc-notify).

The stack: iot-ingest in its production layout (alarm lane, telemetry lane, worker; from
bench/alarm_bench.py) and svc-notify (uvicorn, its consumer of iot.alarms.v1, dispatcher and
in-app channel) on a throwaway PostgreSQL cluster (a database each) and the broker of
scripts/bench.sh. Each fall comes from a bed of its own (a fall on a bed with an open alarm only
repeats that alarm), so every fall raises an alarm that must reach the on-call caregiver once.

Lost: a fall whose POST failed or whose notification never arrived (within `--grace` s after
the last fall). Duplicates: notifications beyond the first for one alarm on the stream.
Last line (stdout): `notify_p50_ms=<n> notify_p99_ms=<n> lost=<n> duplicates=<n>` (+ context).
`python bench/notify_bench.py --bootstrap 127.0.0.1:39292 [--falls 10000 | --duration 30]`
(`make bench-notify ARGS="--duration 30"` for a short run)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))

from alarm_bench import (  # bench/ is on the path
    Metrics,
    TelemetryLoad,
    bucket_quantile,
    counted_above,
    histogram,
    kafka_pid,
    run_stack,
    scrape,
    stack_groups,
    start_prioritised,
    throwaway_postgres,
    wait_consuming,
    weigh_session,
)
from box_monitor import BoxMonitor, Group
from ingest_bench import (
    connect,
    free_port,
    log,
    post_request,
    prepare_database,
    register_devices,
    wait_ready,
)

from chassis.kafka.topics import ensure_registry_topics
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY

PROVIDER = "bench-provider"
CAREGIVER = "bench-caregiver"


@dataclass
class Fall:
    due: float = 0.0
    answered: float = 0.0  # the 201 read (iot-ingest committed the alarm)
    status: int = 0
    alarm_id: str | None = None


def headers(principal: Principal) -> dict[str, str]:
    token = mint_internal_token(principal, DEV_INTERNAL_TOKEN_KEY, ttl_seconds=3600)
    return {PRINCIPAL_HEADER: token}


async def register_caregiver(notify_url: str) -> None:
    admin = Principal(sub="bench-admin", role=Role.PROVIDER_ADMIN, provider_id=PROVIDER)
    async with httpx.AsyncClient(base_url=notify_url, timeout=10) as client:
        answer = await client.put(
            f"/v1/recipients/{CAREGIVER}",
            json={
                "kind": "worker",
                "display_name": "值班护理员",
                "roles": ["caregiver"],
                "channels": ["in_app"],
            },
            headers=headers(admin),
        )
        answer.raise_for_status()


async def read_stream(
    notify_url: str, frames: dict[str, list[tuple[float, str, float]]], ready: asyncio.Event
) -> None:
    """The caregiver's phone: one SSE connection; alarm id -> arrival times of its frames."""
    principal = Principal(sub=CAREGIVER, role=Role.CAREGIVER, provider_id=PROVIDER)
    timeout = httpx.Timeout(10, read=None)
    async with (
        httpx.AsyncClient(base_url=notify_url, timeout=timeout) as client,
        client.stream("GET", "/v1/inbox/stream", headers=headers(principal)) as stream,
    ):
        stream.raise_for_status()
        ready.set()
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                arrived = time.time()
                item = orjson.loads(line[6:])
                # created_at: the inbox row's time (notify's clock when it wrote the message)
                written = datetime.fromisoformat(item["created_at"]).timestamp()
                frames.setdefault(item["subject"], []).append((arrived, item["title"], written))


async def register_fall_devices(url: str, bed_ids: list[str], parallel: int = 8) -> list[str]:
    chunks = [bed_ids[i::parallel] for i in range(parallel)]
    found = await asyncio.gather(
        *(register_devices(url, chunk, "fall_detector", PROVIDER) for chunk in chunks)
    )
    return [token for tokens in found for token in tokens]


async def post_falls(url: str, tokens: list[str], falls: list[Fall], rate: float) -> None:
    """Open loop: fall i is due at start + i / rate, from device i, over a few keep-alive
    connections (the next free one)."""
    pool: asyncio.Queue[object] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(await connect(url))
    start = time.time()

    async def one(i: int) -> None:
        fall = falls[i]
        connection = await pool.get()
        try:
            if connection.closed:  # type: ignore[attr-defined]
                connection = await connect(url)
            body = orjson.dumps(
                {"seq": 1, "ts": datetime.now(UTC).isoformat(), "kind": "fall_detected"}
            )
            try:
                # a request left unanswered (seen once on a box at load 18) must not hang the run
                fall.status, answer = await asyncio.wait_for(
                    connection.request(  # type: ignore[attr-defined]
                        post_request("/v1/device-events", tokens[i], body)
                    ),
                    30,
                )
            except (ConnectionError, TimeoutError):
                if connection.transport is not None:  # type: ignore[attr-defined]
                    connection.transport.close()  # type: ignore[attr-defined]  # the next: anew
                return
            fall.answered = time.time()
            if fall.status == 201:
                fall.alarm_id = orjson.loads(answer)["alarm_id"]
        finally:
            pool.put_nowait(connection)

    tasks = []
    for i, fall in enumerate(falls):
        fall.due = start + i / rate
        delay = fall.due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
        if (i + 1) % int(rate * 15) == 0:
            log(f"  {i + 1}/{len(falls)} falls posted")
    await asyncio.gather(*tasks)


def loop_lag(before: Metrics, after: Metrics) -> str:
    """How late notify's event loop ran its timers (the chassis samples it every 100 ms): a
    long synchronous section (a batch, a stream) shows here."""
    buckets, count, total = histogram(before, after, "homebed_event_loop_lag_seconds")

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"<= {value * 1000:.0f} ms"

    return (
        f"lag p50 {ms(bucket_quantile(buckets, count, 0.5))}, "
        f"p99 {ms(bucket_quantile(buckets, count, 0.99))}, "
        f"mean {1000 * total / count if count else 0:.1f} ms, "
        f"{counted_above(buckets, count, 0.05):.0f} of {count:.0f} samples late > 50 ms"
    )


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


WINDOW = 15.0  # seconds


def log_windows(
    falls: list[Fall],
    frames: dict[str, list[tuple[float, str, float]]],
    monitor: BoxMonitor,
    started: float,
) -> None:
    """Per window of the falls: is the tail spread over the run (CPU), or in bursts (the
    worker's repeat sweep sending reminders to the same caregiver's stream, a checkpoint)?"""
    by_window: dict[int, list[float]] = {}
    for fall in falls:
        if fall.alarm_id in frames:
            late = (frames[fall.alarm_id][0][0] - fall.due) * 1000
            by_window.setdefault(int((fall.due - started) // WINDOW), []).append(late)
    reminders: dict[int, int] = {}
    for seen in frames.values():
        for arrived, _title, _written in seen[1:]:
            window = int((arrived - started) // WINDOW)
            reminders[window] = reminders.get(window, 0) + 1
    waits = ("notify", "alarm-api", "kafka", "postgres")
    log(
        "  window      n   p50 ms   p99 ms  reminders  box %   waited for a CPU (ms/s): "
        + ", ".join(waits)
    )
    for index in sorted(by_window):
        values = sorted(by_window[index])
        start = started + index * WINDOW
        usage = monitor.usage(start, start + WINDOW)
        cpu = (
            f"{usage.box_busy_pct:6.0f}   "
            + " ".join(f"{usage.group_wait_ms_per_s.get(name, 0.0):7.1f}" for name in waits)
            if usage is not None
            else ""
        )
        log(
            f"  {index * WINDOW:4.0f}-{(index + 1) * WINDOW:<4.0f} {len(values):5d} "
            f"{statistics.median(values):8.1f} {quantile(values, 0.99):8.1f} "
            f"{reminders.get(index, 0):10d} {cpu}"
        )


async def run(args: argparse.Namespace) -> str:
    falls_n = args.falls if args.duration is None else max(1, int(args.duration * args.fall_rate))
    with (
        tempfile.TemporaryDirectory(prefix="notify-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        dsn, pg_data = stack.enter_context(throwaway_postgres(tmp, args.infra_nice))
        connection = await asyncpg.connect(dsn)
        await connection.execute("CREATE DATABASE notify")
        await connection.close()
        iot_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        notify_db = iot_url.rsplit("/", 1)[0] + "/notify"
        await ensure_registry_topics(args.bootstrap)
        fall_beds = [f"nb-{uuid.uuid4().hex[:10]}" for _ in range(falls_n)]
        telemetry_beds = [f"nt-{uuid.uuid4().hex[:10]}" for _ in range(args.telemetry_devices)]
        await prepare_database(iot_url, fall_beds + telemetry_beds, PROVIDER)
        running = stack.enter_context(run_stack(args, iot_url))
        notify_port = free_port()
        notify_env = {
            **os.environ,
            "HOMEBED_NOTIFY_DATABASE_URL": notify_db,
            "HOMEBED_KAFKA_BOOTSTRAP": args.bootstrap,
            "HOMEBED_NOTIFY_CONSUMER_GROUP": f"bench-notify-{uuid.uuid4().hex[:6]}",
            "HOMEBED_LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable, "-m", "uvicorn", "notify.main:app", "--host", "127.0.0.1",
            "--port", str(notify_port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        folder = Path(os.environ.get("HOMEBED_BENCH_LOG_DIR") or tmp)
        folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the load
        # notify's production layout (its README, "Processes"): the API process (routes,
        # streams, the consumer: the fall's path) at the alarm lane's priority, the worker
        # (dispatcher, repeat sweep) below it; --notify-layout single: one process
        single = args.notify_layout == "single"
        notify_roles = {"notify": ("all" if single else "api", notify_port, args.notify_nice)}
        if not single:
            notify_roles["notify-worker"] = ("worker", free_port(), args.notify_worker_nice)
        notify_processes = {}
        for name, (role, port, nice) in notify_roles.items():
            command[command.index("--port") + 1] = str(port)
            environment = notify_env | {"HOMEBED_NOTIFY_ROLE": role}
            with (folder / f"notify-bench-{name}.log").open("ab") as output:
                process = start_prioritised(command, environment, nice, output)
            notify_processes[name] = process
            stack.callback(process.wait, 20)
            stack.callback(process.terminate)
            # the API process migrates the database; the worker starts on a migrated one
            await wait_ready(f"http://127.0.0.1:{port}")
        notify_url = f"http://127.0.0.1:{notify_port}"
        for url in (running.alarm_url, running.telemetry_url, notify_url):
            await wait_ready(url)
        await register_caregiver(notify_url)
        log(f"registering {falls_n} fall detectors (one bed each) ...")
        fall_tokens = await register_fall_devices(running.alarm_url, fall_beds)
        telemetry_tokens = await register_devices(
            running.alarm_url, telemetry_beds, "vital_signs_monitor", PROVIDER
        )
        tokens_file = Path(tmp) / "telemetry-tokens.json"
        tokens_file.write_bytes(orjson.dumps(telemetry_tokens))
        load = TelemetryLoad()
        await load.start(running.telemetry_url, tokens_file, args.readings_per_s)
        frames: dict[str, list[tuple[float, str, float]]] = {}
        ready = asyncio.Event()
        reader = asyncio.create_task(read_stream(notify_url, frames, ready))
        # the box's CPU during the falls: this stack's processes and everything else (the box
        # is shared): a reader can tell the load from the code
        groups = stack_groups(running, load, pg_data)
        for name, process in reversed(notify_processes.items()):
            groups.insert(0, Group(name, lambda p=process.pid: [p]))
        monitor = BoxMonitor(groups)
        usage = None
        lag = "n/a"
        try:
            # a shared, loaded box can take minutes to settle the worker's groups
            await wait_consuming(iot_url, list(running.groups.values()), args.setup_timeout)
            await asyncio.wait_for(ready.wait(), 30)
            log(
                f"telemetry flowing; ramp {args.ramp:.0f} s, then {falls_n} falls at {args.fall_rate:.0f}/s"
            )
            await asyncio.sleep(args.ramp)
            falls = [Fall() for _ in range(falls_n)]
            lag_before = await scrape(notify_url)
            monitor.start()
            started = time.time()
            await post_falls(running.alarm_url, fall_tokens, falls, args.fall_rate)
            ended = time.time()
            deadline = time.monotonic() + args.grace
            wanted = {f.alarm_id for f in falls if f.alarm_id}
            while time.monotonic() < deadline and not wanted <= frames.keys():  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            readings_per_s, _failed = load.rate(started, ended)
            usage = monitor.usage(started, ended)
            lag = loop_lag(lag_before, await scrape(notify_url))
        finally:
            if monitor.samples:  # started
                monitor.stop()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            await load.stop()
    latencies = [
        (frames[f.alarm_id][0][0] - f.due) * 1000
        for f in falls
        if f.alarm_id is not None and f.alarm_id in frames
    ]
    lost = sum(1 for f in falls if f.alarm_id is None or f.alarm_id not in frames)
    # the same message twice (same title); reminders of the step have their own titles
    duplicates = sum(len(seen) - len({s[1] for s in seen}) for seen in frames.values())
    reminders = sum(len({s[1] for s in seen}) - 1 for seen in frames.values())
    # where the time goes: due -> the inbox row written (iot-ingest's lane, Kafka, notify's
    # consumer) and written -> on the stream (commit, hand-over to the stream, SSE, client)
    first = {f.alarm_id: (f, frames[f.alarm_id][0]) for f in falls if f.alarm_id in frames}
    to_answer = [(f.answered - f.due) * 1000 for f, _ in first.values()]
    to_row = [(written - f.answered) * 1000 for f, (_, _, written) in first.values()]
    to_stream = [(arrived - written) * 1000 for _, (arrived, _, written) in first.values()]
    for label, values in (
        ("due -> 201 read (the client's queue, iot-ingest's alarm lane)", to_answer),
        ("201 read -> inbox row written (Kafka, notify's consumer)", to_row),
        ("inbox row written -> on the caregiver's stream", to_stream),
    ):
        if values:
            log(
                f"  {label}: p50 {statistics.median(values):.1f} ms, "
                f"p99 {quantile(values, 0.99):.1f} ms"
            )
    log(f"  notify's event loop (its API process) over the falls: {lag}")
    if monitor.samples:
        log_windows(falls, frames, monitor, started)
    failed_posts = sum(1 for f in falls if f.status != 201)
    box = ""
    if usage is not None:
        log(
            f"CPU over {usage.seconds:.0f} s of falls ({os.cpu_count()} CPUs): box "
            f"{usage.box_busy_pct:.0f}% busy = {usage.cores_busy:.2f} cores, steal "
            f"{usage.steal_pct:.1f}%; programs outside the bench {usage.others_pct:.0f}% of a core"
        )
        log("  process          nice    CPU % of a core (peak 1 s)   waited for a CPU (ms per s)")
        for name, pct in usage.group_pct.items():
            log(
                f"  {name:<16} {monitor.nice_levels.get(name, '-'):>6}  "
                f"{pct:6.1f} ({usage.group_peak_pct[name]:5.1f})"
                f"              {usage.group_wait_ms_per_s[name]:8.1f}"
            )
        notify_pct = usage.group_pct.get("notify", 0.0)
        box = (
            f" box_busy_pct={usage.box_busy_pct:.0f} others_pct={usage.others_pct:.0f}"
            f" notify_cpu_pct={notify_pct:.0f}"
        )
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = quantile(latencies, 0.99) if latencies else float("nan")
    log(
        f"{len(latencies)} of {falls_n} falls notified; {failed_posts} POSTs failed; "
        f"max {max(latencies, default=float('nan')):.1f} ms; {readings_per_s:.0f} readings/s"
    )
    return (
        f"notify_p50_ms={p50:.1f} notify_p99_ms={p99:.1f} lost={lost} duplicates={duplicates}"
        f" falls={falls_n} reminders={reminders} readings_per_s={readings_per_s:.0f}{box}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--falls", type=int, default=10_000)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of falls instead of --falls"
    )
    parser.add_argument("--fall-rate", type=float, default=40.0)
    parser.add_argument("--readings-per-s", type=float, default=20_000)
    parser.add_argument("--telemetry-devices", type=int, default=20)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--grace", type=float, default=30.0)
    parser.add_argument("--setup-timeout", type=float, default=300.0)
    # the iot-ingest stack's layout and priorities, as make bench-alarm runs it
    parser.add_argument("--layout", choices=("lanes", "worker", "single"), default="lanes")
    parser.add_argument("--publish", choices=("express", "relay"), default="express")
    # as make bench-alarm: where allowed (root), the safety lanes (iot-ingest's alarm lane,
    # notify's API process) and the infrastructure (PostgreSQL, Kafka, this clock) weigh -5:
    # in production they have CPU of their own (compose's cpu_shares, k8s PriorityClasses);
    # here they share 2 cores with the load generator and whatever else runs. 0 turns it off
    root = os.geteuid() == 0
    parser.add_argument("--alarm-nice", type=int, default=-5 if root else 0)
    parser.add_argument("--infra-nice", type=int, default=-5 if root else 0)
    parser.add_argument("--telemetry-nice", type=int, default=5)
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument("--notify-nice", type=int, default=-5 if root else 0)
    parser.add_argument("--notify-worker-nice", type=int, default=5)
    parser.add_argument(
        "--notify-layout",
        choices=("processes", "single"),
        default="processes",
        help="processes: notify's API process and its worker (production); single: one process",
    )
    args = parser.parse_args()
    if args.infra_nice:
        weigh_session(os.getpid(), args.infra_nice)  # this process's session: the clock
        kafka = kafka_pid()
        if kafka is not None:
            weigh_session(kafka, args.infra_nice)
    print(await run(args), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
