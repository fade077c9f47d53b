"""Chaos: the outbox relay killed (SIGKILL) many times at random while it publishes.

    python bench/chaos_relay.py --bootstrap HOST:PORT --dsn postgresql://... [--events 10000]
        [--kills 50] [--seed 7]

Writes `--events` notes (rows + outbox events) in the notes database, then runs the relay in a
subprocess and SIGKILLs it `--kills` times after seeded random delays, restarting it each time;
a last relay runs until the backlog is 0. A tally consumer (another database) applies every
event. Prints `scenario=relay-kill sent= acked= applied= duplicates= lost=` and exits non-zero
unless every event was delivered and applied exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
import uuid

import asyncpg
from sqlalchemy import func, select

from chassis.kafka.topics import ensure_topics
from chassis.runtime import ServiceRuntime
from chassis.testing.demo import (
    DEMO_TABLES,
    Note,
    Tally,
    count_tally,
    create_demo_schema,
    demo_runtime,
    tally_handler,
)
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope


async def _database(dsn: str, name: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = dsn.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name


async def _write_notes(runtime: ServiceRuntime, topic: str, count: int) -> None:
    for start in range(0, count, 500):
        async with runtime.uow() as uow:
            for i in range(start, min(count, start + 500)):
                note_id = str(uuid.uuid4())
                uow.session.add(Note(id=note_id, text=f"n{i}"))
                await uow.publish(
                    topic=topic,
                    key=note_id,
                    event=Envelope(
                        type="note.recorded",
                        source="demo-notes",
                        subject=note_id,
                        data={"note_id": note_id, "text": f"n{i}"},
                    ),
                )
            await uow.commit()


async def _backlog(runtime: ServiceRuntime) -> int:
    async with runtime.uow() as uow:
        outbox = DEMO_TABLES.outbox
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
            or 0
        )


async def relay_only(database_url: str, bootstrap: str) -> None:
    """Subprocess mode: only the outbox relay of the notes database, until killed."""
    runtime = demo_runtime(name="svc-demo-notes", database_url=database_url, bootstrap=bootstrap)
    await runtime.start()
    print("relaying", flush=True)
    await asyncio.Event().wait()


async def _relay_process(url: str, bootstrap: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--relay-only", url, "--bootstrap", bootstrap,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    name = uuid.uuid4().hex[:8]
    topic = f"chaos.notes.{name}"
    await ensure_topics(args.bootstrap, {topic: 3, f"{topic}.dlq": 3})
    notes_url = await _database(args.dsn, f"chaos_notes_{name}")
    tally_url = await _database(args.dsn, f"chaos_tally_{name}")
    notes = demo_runtime(
        name="svc-demo-notes", database_url=notes_url, bootstrap=args.bootstrap,
        kafka_enabled=False,
    )  # fmt: skip
    tally = demo_runtime(
        name="svc-demo-tally", database_url=tally_url, bootstrap=args.bootstrap,
        handlers={topic: tally_handler()}, group=f"chaos-{name}",
    )  # fmt: skip
    await notes.start()
    await tally.start()
    try:
        await create_demo_schema(notes)
        await create_demo_schema(tally)
        await _write_notes(notes, topic, args.events)
        kills = 0
        started = time.monotonic()
        while kills < args.kills:
            relay = await _relay_process(notes_url, args.bootstrap)
            assert relay.stdout is not None
            await relay.stdout.readline()  # "relaying": it runs from here
            await asyncio.sleep(rng.uniform(0.0, args.max_delay))
            relay.send_signal(signal.SIGKILL)
            await relay.wait()
            kills += 1
        relay = await _relay_process(notes_url, args.bootstrap)
        try:
            await eventually(lambda: _backlog(notes), until=lambda n: n == 0, within=300)
            await eventually(
                lambda: count_tally(tally.uow()),
                until=lambda n: n >= args.events,
                within=300,
                interval=0.2,
            )
        finally:
            relay.kill()
            await relay.wait()
        applied = await count_tally(tally.uow())
        async with tally.uow() as uow:
            distinct = await uow.session.scalar(select(func.count(func.distinct(Tally.note_id))))
            processed = await uow.session.scalar(
                select(func.count()).select_from(DEMO_TABLES.processed_events)
            )
        acked = args.events - await _backlog(notes)
        duplicates = applied - int(distinct or 0) + (int(processed or 0) - applied)
        lost = args.events - applied
        print(
            f"scenario=relay-kill sent={args.events} acked={acked} applied={applied} "
            f"duplicates={duplicates} lost={lost} kills={kills} "
            f"seconds={time.monotonic() - started:.1f}"
        )
        return 0 if (lost == 0 and duplicates == 0 and acked == args.events) else 1
    finally:
        await tally.stop()
        await notes.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--relay-only":
        asyncio.run(relay_only(sys.argv[2], sys.argv[4]))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--max-delay", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "7")))
    sys.exit(asyncio.run(main(parser.parse_args())))
