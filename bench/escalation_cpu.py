"""CPU per escalation of iot-ingest's escalation sweep, in-process, on a real PostgreSQL.

Not a latency bench. `make bench-notify` leaves every fall unacknowledged: from minute 2 the
alarm lane's process escalates 40 alarms a second (the duty manager's step) beside the 40
falls. This raises `--alarms` falls spread at `--rate` a second (a bed each, the default
chain), then runs the sweep once per second of a driven clock from 2 minutes on (as the lane's
loop, `escalation_poll_seconds` 1), so each sweep finds about `--rate` alarms due, and reports
the CPU time per escalation of this process (`time.process_time()`) and of the PostgreSQL
backends serving its database (/proc/<pid>/stat utime+stime), and the statements per sweep.
Events go through the express path (a producer stand-in that takes everything), as in the
lane. CPU time, not wall time: a loaded box does not distort it much.

    eval "$(bash scripts/infra.sh start test --fresh)"
    nice -n 19 uv run python bench/escalation_cpu.py --alarms 2000
    # the code before a change: PYTHONPATH=<old>/svc-iot-ingest:<old>/shared-chassis ...

Last line: `escalation_cpu_ms=<process> pg_cpu_ms=<backends> escalations=<n> sweeps=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import event

from chassis.clock import ManualClock
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.service.alarm_changes import RaiseRequest, raise_or_repeat
from iot_ingest.service.escalation import run_escalations
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, running_iot

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TICKS = os.sysconf("SC_CLK_TCK")


class TakesEverything:
    """The express producer's stand-in: usable, nothing waits, the hand-off is free."""

    usable = True

    def may_overtake(self, earlier: Sequence[str]) -> bool:
        return True

    async def hand_off(self, events: Sequence[object]) -> None:
        return None

    async def drain(self, grace_seconds: float) -> None:
        return None


async def backend_cpu_seconds(dsn: str, database: str) -> float:
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
    """utime + stime (fields 14, 15 of /proc/<pid>/stat) of `pids`, in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            continue
    return total / TICKS


async def run(args: argparse.Namespace) -> None:
    dsn = os.environ["HOMEBED_TEST_POSTGRES_DSN"]
    database = f"esc_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    server = dsn.rsplit("/", 1)[0]
    url = f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{database}"
    settings = Settings(database_url=url, kafka_enabled=False, **QUIET_LOOPS)
    clock = ManualClock(START)
    try:
        async with running_iot(settings, clock=clock) as iot:
            runtime = iot.runtime
            runtime.express = TakesEverything()  # type: ignore[assignment]
            step = timedelta(seconds=1 / args.rate)
            for first in range(0, args.alarms, 100):
                async with runtime.uow() as uow:
                    for i in range(first, min(first + 100, args.alarms)):
                        request = RaiseRequest(
                            bed_id=f"bed-{i}",
                            provider_id="p1",
                            alarm_type="fall_detected",
                            severity=AlarmSeverity.CRITICAL,
                            at=START + i * step,
                            region_code="330102",
                        )
                        await raise_or_repeat(uow, request, no_active_alarm=True)
                    await uow.commit()
            async with runtime.uow() as uow:  # the relay's part: the falls were sent
                outbox = uow.tables.outbox
                await uow.session.execute(outbox.update().values(sent_at=START))
                await uow.commit()
            statements = [0]

            @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
            def count(*_: object) -> None:
                statements[0] += 1

            sweeps = int(args.alarms / args.rate) + 1
            at = [START + timedelta(minutes=2, seconds=k) for k in range(sweeps + 1)]
            warm = args.warmup_sweeps
            for now in at[:warm]:
                await run_escalations(uow=runtime.uow(), now=now)
            pg_before = await backend_cpu_seconds(f"{server}/postgres", database)
            cpu_before, statements_before = time.process_time(), statements[0]
            made = 0
            for now in at[warm:]:
                made += await run_escalations(uow=runtime.uow(), now=now)
            cpu = time.process_time() - cpu_before
            pg = await backend_cpu_seconds(f"{server}/postgres", database) - pg_before
            executed = statements[0] - statements_before
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    measured = len(at) - warm
    load = os.getloadavg()[0]
    print(
        f"escalations={made} sweeps={measured} (load {load:.1f}) process_cpu={cpu:.3f}s "
        f"pg_backends_cpu={pg:.3f}s statements={executed} ({executed / measured:.1f} per sweep)"
    )
    print(
        f"escalation_cpu_ms={1000 * cpu / made:.3f} pg_cpu_ms={1000 * pg / made:.3f} "
        f"escalations={made} sweeps={measured}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alarms", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=40.0, help="falls a second (bench: 40)")
    parser.add_argument("--warmup-sweeps", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
