"""Alarm lane under telemetry load: 10,000 fall events posted while 20,000 readings/s flow.

Latency is from sending the POST /v1/device-events to consuming its alarm event (alarm.raised or
alarm.repeated, matched by alarm id and count) from iot.alarms.v1; the falls are posted on an
open-loop schedule, so queueing shows in the figures. A fall whose POST failed or whose event
never arrived counts as lost. The server runs the whole service (rule engine and storage
consumers included).

Progress goes to stderr every 15 s; at the end, stderr splits the latency into its stages (POST ->
201, of which inside the server; 201 -> the outbox relay's send; POST -> consumed).

Last line: `alarm_p50_ms=<n> alarm_p99_ms=<n> lost=<n>`
`python bench/alarm_bench.py --bootstrap 127.0.0.1:9092 [--falls 10000] [--fall-rate 40]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

sys.path.insert(0, str(Path(__file__).parent))

from ingest_bench import (  # bench/ is on the path (above)
    LoadResult,
    connect,
    free_port,
    log,
    post_request,
    register_devices,
    run_server,
    setup_stack,
    telemetry_device,
    wait_ready,
)

from homebed_schemas.topics import IOT_ALARMS


async def alarm_consumer(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
    )
    await consumer.start()
    partitions = [TopicPartition(IOT_ALARMS.name, p) for p in range(IOT_ALARMS.partitions)]
    consumer.assign(partitions)
    for tp, offset in (await consumer.end_offsets(partitions)).items():
        consumer.seek(tp, offset)
    return consumer


async def collect(
    consumer: AIOKafkaConsumer,
    seen: dict[tuple[str, int], float],
    produced: dict[tuple[str, int], float],
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=50)
        received = time.perf_counter()
        for records in batches.values():
            for record in records:
                event = orjson.loads(record.value)
                if event["type"] in ("alarm.raised", "alarm.repeated"):
                    key = (event["subject"], event["data"]["count"])
                    seen.setdefault(key, received)
                    # CreateTime: when the outbox relay handed the event to its producer
                    produced.setdefault(key, record.timestamp / 1000)


async def post_falls(
    url: str,
    tokens: list[str],
    falls: int,
    rate: float,
    sent: dict[tuple[str, int], float],
    failures: list[int],
    answered: list[float],
    answered_wall: dict[tuple[str, int], float],
) -> None:
    """Open loop: fall i is due at start + i / rate, over one keep-alive connection per device."""
    connections = [await connect(url) for _ in tokens]
    seqs = [0] * len(tokens)
    busy = [asyncio.Lock() for _ in tokens]
    start = time.perf_counter()

    async def one(i: int) -> None:
        slot = i % len(tokens)
        async with busy[slot]:
            seqs[slot] += 1
            body = orjson.dumps(
                {"seq": seqs[slot], "ts": datetime.now(UTC).isoformat(), "kind": "fall_detected"}
            )
            due = start + i / rate
            if connections[slot].closed:  # the server may close an idle keep-alive
                connections[slot] = await connect(url)
            try:
                status, answer = await connections[slot].request(
                    post_request("/v1/device-events", tokens[slot], body)
                )
            except ConnectionError:
                failures.append(0)
                return
        if status != 201:
            failures.append(status)
            return
        alarm = orjson.loads(answer)
        sent[(alarm["alarm_id"], alarm["count"])] = due
        answered_wall[(alarm["alarm_id"], alarm["count"])] = time.time()
        answered.append((time.perf_counter() - due) * 1000)

    tasks = []
    for i in range(falls):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    at = {q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] for q in (0.5, 0.9, 0.99)}
    return (
        f"p50 {at[0.5]:.1f} ms, p90 {at[0.9]:.1f} ms, p99 {at[0.99]:.1f} ms, "
        f"max {ordered[-1]:.1f} ms"
    )


def worst_windows(
    sent: dict[tuple[str, int], float], seen: dict[tuple[str, int], float], width: float = 15.0
) -> str:
    """Is the tail spread over the run or a burst (e.g. the 2-minute escalation of every alarm)?"""
    if not sent:
        return "n/a"
    start = min(sent.values())
    windows: dict[int, list[float]] = {}
    for key, due in sent.items():
        if key in seen:
            windows.setdefault(int((due - start) // width), []).append((seen[key] - due) * 1000)
    p99 = {w: sorted(v)[min(len(v) - 1, int(len(v) * 0.99))] for w, v in windows.items()}
    worst = sorted(p99, key=p99.__getitem__, reverse=True)[:4]
    return ", ".join(f"{w * width:.0f}-{(w + 1) * width:.0f} s: {p99[w]:.0f} ms" for w in worst)


async def route_latency(url: str, route: str) -> str:
    """p50/p99 of the server's own request-duration histogram for `route` (upper bucket bounds):
    the part of POST -> 201 spent inside the service, not in the client or the network."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    buckets: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith("homebed_http_request_duration_seconds_bucket") and (
            f'route="{route}"' in line and 'method="POST"' in line
        ):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    if not buckets or buckets[-1][1] == 0:
        return "n/a"
    total = buckets[-1][1]

    def bound_of(q: float) -> str:
        edge = next(b for b, count in buckets if count >= q * total)
        return f"<= {edge * 1000:.0f} ms" if edge != float("inf") else "> last bucket"

    return f"p50 {bound_of(0.5)}, p99 {bound_of(0.99)} ({total:.0f} requests)"


async def progress(
    falls: int,
    sent: dict[tuple[str, int], float],
    failures: list[int],
    seen: dict[tuple[str, int], float],
    flow: LoadResult,
    every: float = 15.0,
) -> None:
    """A line on stderr every `every` seconds while the falls are being posted."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        log(
            f"  {time.monotonic() - started:5.0f} s: {len(sent) + len(failures)}/{falls} falls "
            f"posted, {len(seen)} alarm events consumed, {flow.readings} readings accepted"
        )


ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def throwaway_postgres(tmp: str) -> Iterator[str]:
    """A fresh PostgreSQL cluster from the project's deploy/postgres/pg.sh, as an asyncpg URL."""
    os.chmod(tmp, 0o755)  # noqa: S103 - the cluster runs as the postgres user
    data = f"{tmp}/pg"
    port = str(free_port())
    started = subprocess.run(
        ["bash", str(ROOT / "deploy/postgres/pg.sh"), "start", data, port],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    dsn = started.stdout.strip().splitlines()[-1]
    try:
        yield dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        subprocess.run(["bash", str(ROOT / "deploy/postgres/pg.sh"), "stop", data], check=False)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="postgres (production's database, a throwaway cluster via deploy/postgres/pg.sh) "
        "or a temporary SQLite file",
    )
    parser.add_argument("--database-url", default=None, help="use this database instead")
    parser.add_argument("--falls", type=int, default=10_000)
    parser.add_argument(
        "--fall-rate", type=float, default=40.0, help="falls per second (10,000 at 40/s: 250 s)"
    )
    parser.add_argument("--fall-devices", type=int, default=200)
    parser.add_argument("--readings-per-s", type=float, default=20_000)
    parser.add_argument("--telemetry-devices", type=int, default=20)
    parser.add_argument(
        "--layout",
        choices=("worker", "single", "api-only"),
        default="worker",
        help="worker: API + iot_ingest.worker (consumers) as two processes (default); "
        "single: consumers inside the API process; api-only: no telemetry consumers",
    )
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    devices = args.fall_devices + args.telemetry_devices
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        if args.database_url is None and args.database == "postgres":
            args.database_url = stack.enter_context(throwaway_postgres(tmp))
        database_url, bed_ids, provider = await setup_stack(args, tmp, devices, "")
        layout = {"with_worker": True} if args.layout == "worker" else {}
        if args.layout == "single":
            layout = {
                "HOMEBED_IOT_INGEST_RULES_ENABLED": "true",
                "HOMEBED_IOT_INGEST_STORAGE_ENABLED": "true",
            }
        with run_server(args.bootstrap, database_url, 1, **layout) as server:  # type: ignore[arg-type]
            await wait_ready(server.url)
            fall_tokens = await register_devices(
                server.url, bed_ids[: args.fall_devices], "fall_detector", provider
            )
            telemetry_tokens = await register_devices(
                server.url, bed_ids[args.fall_devices :], "vital_signs_monitor", provider
            )
            consumer = await alarm_consumer(args.bootstrap)
            seen: dict[tuple[str, int], float] = {}
            stop_collecting = asyncio.Event()
            produced: dict[tuple[str, int], float] = {}
            collector = asyncio.create_task(collect(consumer, seen, produced, stop_collecting))
            duration = args.falls / args.fall_rate
            batches_per_device = args.readings_per_s / 100 / len(telemetry_tokens)
            flow = LoadResult()
            flow_until = time.monotonic() + duration + 1
            telemetry = [
                asyncio.create_task(
                    telemetry_device(server.url, t, flow_until, flow, batches_per_device)
                )
                for t in telemetry_tokens
            ]
            await asyncio.sleep(1)  # let the flow reach its rate first
            sent: dict[tuple[str, int], float] = {}
            failures: list[int] = []
            answered: list[float] = []
            answered_wall: dict[tuple[str, int], float] = {}
            log(
                f"posting {args.falls} falls at {args.fall_rate}/s with "
                f"{args.readings_per_s:.0f} readings/s flowing"
            )
            reporter = asyncio.create_task(progress(args.falls, sent, failures, seen, flow))
            await post_falls(
                server.url,
                fall_tokens,
                args.falls,
                args.fall_rate,
                sent,
                failures,
                answered,
                answered_wall,
            )
            reporter.cancel()
            await asyncio.gather(*telemetry)
            server_side = await route_latency(server.url, "/v1/device-events")
            deadline = time.perf_counter() + args.grace
            while time.perf_counter() < deadline and not set(sent) <= set(seen):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            stop_collecting.set()
            await collector
            await consumer.stop()
    # where the time went: POST -> 201 (HTTP + transaction), 201 -> relay's send (outbox wake-up,
    # relay transaction), send -> consumed (producer linger, broker, fetch)
    log(f"POST -> 201 answered: {percentiles(answered)}")
    log(f"  of which inside the server (its histogram, bucket bounds): {server_side}")
    log(
        "201 -> outbox relay sent: "
        + percentiles([(produced[k] - t) * 1000 for k, t in answered_wall.items() if k in produced])
    )
    log(
        "POST -> consumed: "
        + percentiles([(seen[k] - due) * 1000 for k, due in sent.items() if k in seen])
    )
    log("worst 15 s windows (p99): " + worst_windows(sent, seen))
    latencies = sorted((seen[k] - due) * 1000 for k, due in sent.items() if k in seen)
    lost = len(failures) + sum(1 for k in sent if k not in seen)
    log(
        f"telemetry during the run: {flow.readings} readings accepted "
        f"({flow.readings / (duration + 1):.0f}/s), {flow.failures} failed requests; "
        f"fall POST failures: {len(failures)}"
    )
    if not latencies:
        print(f"alarm_p50_ms=nan alarm_p99_ms=nan lost={lost}")
        return
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"alarm_p50_ms={p50:.1f} alarm_p99_ms={p99:.1f} lost={lost}")


if __name__ == "__main__":
    asyncio.run(main())
