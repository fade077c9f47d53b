"""CPU per fall through svc-notify's consumer batch path, in-process, on a real PostgreSQL.

Not a latency bench: it feeds N `alarm.raised` falls (each from a bed of its own, as
`make bench-notify`) as Kafka records to notify's `BatchRunner.apply_batch` in polls of
`--batch` records, with an open caregiver stream and an open monitoring-centre stream reading
the frames (the API process's work for a fall), and reports the CPU time per fall of this
process (`time.process_time()`) and of the PostgreSQL backends serving its database
(/proc/<pid>/stat utime+stime). CPU time, not wall time: a loaded box does not distort it.

    export HOMEBED_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:<port>/postgres
    nice -n 19 uv run python bench/notify_fall_cpu.py --falls 2000 --batch 2

`--escalations`: each fall followed by the duty manager's escalation of an earlier one (the
bench's mix from minute 2: 40 falls and 40 escalations a second); the figures stay per fall,
its escalation's cost included.

Last line: `notify_cpu_ms_per_fall=<process> pg_cpu_ms_per_fall=<backends> falls=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import resource
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from aiokafka import ConsumerRecord
from sqlalchemy import event

from chassis.clock import ManualClock
from chassis.kafka.consumer import ConsumerConfig
from homebed_schemas.envelope import Envelope
from notify.batch_runner import BatchRunner
from notify.channels.base import centre_owner
from notify.consumers import batch_handlers
from notify.service.inbox import inbox_events
from notify.testing import (
    ALARMS,
    Notify,
    alarm_envelope,
    notify_settings,
    running_notify,
    staff_with_schedules,
)

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TICKS = os.sysconf("SC_CLK_TCK")


def record(envelope: Envelope, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = envelope.model_dump_json().encode()
    return ConsumerRecord(
        topic=ALARMS,
        partition=offset % 6,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=[],
    )


async def backend_cpu_seconds(dsn: str, database: str) -> float:
    """utime + stime of the PostgreSQL backends connected to `database` (not this probe's)."""
    connection = await asyncpg.connect(dsn)
    try:
        pids = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()
    return cpu_seconds([int(row["pid"]) for row in pids])


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / TICKS


class Frames:
    """Counts the frames the open streams sent; `reached` is set at the awaited count."""

    def __init__(self) -> None:
        self.count, self.until = 0, 0
        self.reached = asyncio.Event()

    async def read(self, stream: AsyncIterator[bytes]) -> None:
        async for frame in stream:
            if frame.startswith(b"id: "):
                self.count += 1
                if self.count >= self.until:
                    self.reached.set()

    async def wait_for(self, count: int) -> None:
        self.until = count
        if self.count < count:
            self.reached.clear()
            await self.reached.wait()


async def _connected() -> bool:
    return False


async def run(args: argparse.Namespace) -> None:
    dsn = os.environ["HOMEBED_TEST_POSTGRES_DSN"]
    database = f"cpu_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    settings = notify_settings(f"{base}/{database}", role="api", stream_poll_seconds=300)
    clock = ManualClock(START)
    try:
        async with running_notify(settings, clock=clock) as notify:
            await staff_with_schedules(notify, clock)
            await measure(notify, clock, args, dsn.rsplit("/", 1)[0] + "/postgres", database)
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def measure(
    notify: Notify, clock: ManualClock, args: argparse.Namespace, dsn: str, database: str
) -> None:
    runtime = notify.app.state.runtime
    runner = BatchRunner(
        batch_handlers=batch_handlers(notify.notifications),
        service="svc-notify",
        bootstrap="127.0.0.1:1",  # never connects: apply_batch is called directly
        handlers={},
        uow_factory=runtime.uow,
        dlq_producer=None,  # type: ignore[arg-type]
        config=ConsumerConfig(group_id="cpu-per-fall"),
    )
    hub = notify.app.state.notify.hub
    frames = Frames()
    readers = [
        asyncio.create_task(
            frames.read(
                inbox_events(
                    uow_factory=runtime.uow,
                    hub=hub,
                    owner=owner,
                    last_event_id=None,
                    poll_seconds=300,
                    disconnected=_connected,
                ),
            )
        )
        for owner in ("cg-1", centre_owner("p1"))
    ]
    total = args.warmup + args.falls
    falls = [
        alarm_envelope(
            "alarm.raised",
            alarm_id=f"al-{uuid.uuid4().hex[:12]}",
            bed_id=f"nb-{i}",
            raised_at=clock(),
            at=clock(),
        )
        for i in range(total)
    ]
    events: list[Envelope] = []
    for i, fall in enumerate(falls):
        events.append(fall)
        if args.escalations and i >= args.escalation_lag:
            # `make bench-notify` from minute 2: every unacknowledged fall escalates once to
            # the duty manager (iot-ingest's sweep), 40 a second beside the 40 falls
            earlier = falls[i - args.escalation_lag].data
            events.append(
                alarm_envelope(
                    "alarm.escalated",
                    alarm_id=earlier["alarm_id"],
                    bed_id=earlier["bed_id"],
                    raised_at=clock(),
                    at=clock(),
                    escalation_level=1,
                    escalation_target="duty_manager",
                )
            )
    total = len(events)
    records = [record(e, i) for i, e in enumerate(events)]
    event_ids = [e.id for e in events]
    # frames on the two streams: a fall reaches both, an escalation the centre's only
    frames_of = {e.id: 2 if e.type == "alarm.raised" else 1 for e in events}
    polls = [records[i : i + args.batch] for i in range(0, total, args.batch)]
    warm = (args.warmup * total // len(falls)) // args.batch
    statements = [0]

    @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
    def count(*_: object) -> None:
        statements[0] += 1

    async def apply(chunk: list[list[ConsumerRecord[bytes, bytes]]]) -> None:
        start = frames.count
        for poll in chunk:
            await runner.apply_batch(poll)
            await asyncio.sleep(0)  # the streams send the frames, as between polls
        expected = sum(frames_of[event_ids[r.offset]] for p in chunk for r in p)
        await frames.wait_for(start + expected)

    await apply(polls[:warm])
    pg_before = await backend_cpu_seconds(dsn, database)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    usage_before, statements_before = resource.getrusage(resource.RUSAGE_SELF), statements[0]
    profile = cProfile.Profile(time.process_time) if args.cprofile else None
    if profile is not None:
        profile.enable()
    await apply(polls[warm:])
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.cprofile)
    cpu = time.process_time() - cpu_before
    usage = resource.getrusage(resource.RUSAGE_SELF)
    user, system = usage.ru_utime - usage_before.ru_utime, usage.ru_stime - usage_before.ru_stime
    executed = statements[0] - statements_before
    wall = time.perf_counter() - wall_before
    pg = await backend_cpu_seconds(dsn, database) - pg_before
    for reader in readers:
        reader.cancel()
    measured_records = records[warm * args.batch :]
    measured = sum(1 for r in measured_records if events[r.offset].type == "alarm.raised")
    escalated = len(measured_records) - measured
    load = os.getloadavg()
    print(
        f"falls={measured} escalations={escalated} batch={args.batch} "
        f"frames={frames.count} wall={wall:.2f}s "
        f"(load {load[0]:.1f}) process_cpu={cpu:.3f}s (user {user:.3f}s, system {system:.3f}s) "
        f"pg_backends_cpu={pg:.3f}s statements={executed} ({executed / len(polls[warm:]):.1f} "
        "per poll)"
    )
    print(
        f"notify_cpu_ms_per_fall={1000 * cpu / measured:.3f} "
        f"pg_cpu_ms_per_fall={1000 * pg / measured:.3f} falls={measured}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--falls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2, help="records per poll (40/s: 1-4)")
    parser.add_argument("--cprofile", help="write a cProfile (CPU time) of the falls here")
    parser.add_argument(
        "--escalations",
        action="store_true",
        help="after each fall, the escalation of an earlier one (as the bench from minute 2); "
        "the figures stay per fall, an escalation's cost included",
    )
    parser.add_argument("--escalation-lag", type=int, default=50, help="falls between the two")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
