"""Fault-scenario helpers shared by the chaos tests and `bench/chaos_*.py` (`make chaos`).

- `ScenarioResult` and its one-line report,
  `scenario=<name> sent=<n> acked=<n> applied=<n> duplicates=<n> lost=<n>`.
- `read_topic`: every record of a topic, read to its end offsets with manual partition
  assignment (no consumer group, so no join or rebalance to wait for).
- `relay_kill_scenario`: the outbox relay SIGKILLed many times while events are written.
  Relays are forked from a `forkserver` that has already imported the chassis: a new relay
  process starts in milliseconds instead of paying the interpreter and SQLAlchemy/alembic
  imports (seconds on a busy machine) on each of the 50 restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy import func, select

from chassis.db import create_engine, decode_envelope
from chassis.kafka.topics import ensure_topics
from chassis.runtime import ServiceRuntime
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope

_PRELOAD = ["chassis.runtime", "chassis.testing.demo", "chassis.testing.chaos", "asyncpg"]


@dataclass
class ScenarioResult:
    name: str
    sent: int
    acked: int
    applied: int
    duplicates: int
    lost: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.acked == self.sent

    def line(self) -> str:
        extras = "".join(f" {k}={v}" for k, v in self.extra.items())
        return (
            f"scenario={self.name} sent={self.sent} acked={self.acked} applied={self.applied} "
            f"duplicates={self.duplicates} lost={self.lost}{extras}"
        )


async def create_database(dsn: str, name: str) -> str:
    """A fresh database `name` on the server `dsn`; returns its SQLAlchemy asyncpg URL."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = dsn.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name


async def drop_databases(dsn: str, *names: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def read_topic(
    bootstrap: str, topic: str, partitions: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """All records of `topic` up to its current end offsets (manual assignment, no group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp_records in batch.values():
                records.extend(r for r in tp_records if r.offset < ends[_tp(r)])
        return records
    finally:
        await consumer.stop()


def _tp(record: ConsumerRecord[bytes, bytes]) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


def event_ids(records: list[ConsumerRecord[bytes, bytes]]) -> Counter[str]:
    """How many times each event id occurs among `records` (outbox envelopes)."""
    return Counter(str(decode_envelope(r.value).id) for r in records if r.value is not None)


# --- G: the outbox relay killed many times -----------------------------------------------------


def _relay_child(url: str, bootstrap: str, ready: MpEvent) -> None:
    """Forked relay: the notes runtime's outbox relay only, until SIGKILLed."""
    from chassis.testing.demo import demo_runtime

    async def run() -> None:
        runtime = demo_runtime(name="svc-demo-notes", database_url=url, bootstrap=bootstrap)
        await runtime.start()
        await runtime.kafka_connected.wait()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


def relay_forkserver() -> ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


async def _start_relay(ctx: ForkServerContext, url: str, bootstrap: str) -> BaseProcess:
    ready = ctx.Event()
    process = ctx.Process(target=_relay_child, args=(url, bootstrap, ready), daemon=True)
    # the first start waits for the forkserver's preload: off the event loop
    await asyncio.to_thread(process.start)
    if not await asyncio.to_thread(ready.wait, 60):
        process.kill()
        raise RuntimeError("relay process did not connect to Kafka within 60 s")
    return process


async def _kill(process: BaseProcess) -> None:
    if process.pid is not None and process.exitcode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    await asyncio.to_thread(process.join, 10)


async def _write_notes(runtime: ServiceRuntime, topic: str, first: int, count: int) -> None:
    from chassis.testing.demo import Note

    for start in range(first, first + count, 50):
        async with runtime.uow() as uow:
            for i in range(start, min(first + count, start + 50)):
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
    from chassis.testing.demo import DEMO_TABLES

    outbox = DEMO_TABLES.outbox
    async with runtime.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
            or 0
        )


async def _create_schema(url: str) -> None:
    from chassis.testing.demo import DemoBase

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(DemoBase.metadata.create_all)
    finally:
        await engine.dispose()


def _progress(started: float) -> Callable[[str], None]:
    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    return log


async def relay_kill_scenario(
    *,
    bootstrap: str,
    dsn: str,
    events: int,
    kills: int,
    max_delay: float = 0.5,
    seed: int = 7,
) -> ScenarioResult:
    """Write `events` notes in chunks while a relay runs; SIGKILL the relay `kills` times
    (seeded random delays, usually mid-batch); a last relay drains the backlog. The tally
    service (chassis consumer runner, one group join for the whole run) applies every event;
    a group-less reader counts what reached the topic."""
    from chassis.testing.demo import (
        DEMO_TABLES,
        Tally,
        count_tally,
        create_demo_schema,
        demo_runtime,
        tally_handler,
    )

    rng = random.Random(seed)
    name = uuid.uuid4().hex[:8]
    topic = f"chaos.notes.{name}"
    await ensure_topics(bootstrap, {topic: 3, f"{topic}.dlq": 3})
    notes_url = await create_database(dsn, f"chaos_notes_{name}")
    tally_url = await create_database(dsn, f"chaos_tally_{name}")
    notes = demo_runtime(
        name="svc-demo-notes", database_url=notes_url, bootstrap=bootstrap, kafka_enabled=False
    )
    tally = demo_runtime(
        name="svc-demo-tally",
        database_url=tally_url,
        bootstrap=bootstrap,
        handlers={topic: tally_handler()},
        group=f"chaos-{name}",
    )
    ctx = relay_forkserver()
    log = _progress(started := time.monotonic())
    await notes.start()
    try:
        await create_demo_schema(notes)
        await _create_schema(tally_url)  # before the tally runtime's relay and consumer start
        await tally.start()
        log("databases ready")
        chunk = -(-events // max(kills, 1))
        written = 0
        for _ in range(kills):
            relay = await _start_relay(ctx, notes_url, bootstrap)
            count = min(chunk, events - written)
            writer = asyncio.create_task(_write_notes(notes, topic, written, count))
            written += count
            try:
                await asyncio.sleep(rng.uniform(0.0, max_delay))  # the fault's random moment
            finally:
                await _kill(relay)
                await writer
            log(f"relay killed, {written} written")
        if written < events:
            await _write_notes(notes, topic, written, events - written)
        relay = await _start_relay(ctx, notes_url, bootstrap)
        try:
            log(f"last relay up, backlog {await _backlog(notes)}")
            await eventually(
                lambda: _backlog(notes),
                until=lambda n: n == 0,
                within=120,
                while_progressing=True,
                what="outbox drained",
            )
            await eventually(
                lambda: count_tally(tally.uow()),
                until=lambda n: n >= events,
                within=120,
                while_progressing=True,  # a loaded box drains slowly; only a stall fails
                what="all applied",
            )
            log("backlog drained")
        finally:
            await _kill(relay)
        log("all applied")
        applied = await count_tally(tally.uow())
        async with tally.uow() as uow:
            distinct = int(
                await uow.session.scalar(select(func.count(func.distinct(Tally.note_id)))) or 0
            )
            processed = int(
                await uow.session.scalar(
                    select(func.count()).select_from(DEMO_TABLES.processed_events)
                )
                or 0
            )
        on_topic = event_ids(await read_topic(bootstrap, topic, 3))
        dead = len(await read_topic(bootstrap, f"{topic}.dlq", 3))
        republished = sum(on_topic.values()) - len(on_topic)
        return ScenarioResult(
            name="relay-kill",
            sent=events,
            acked=len(on_topic),
            applied=applied,
            duplicates=(applied - distinct) + (processed - applied) + dead,
            lost=events - distinct,
            extra={
                "kills": kills,
                "republished": republished,
                "seconds": f"{time.monotonic() - started:.1f}",
            },
        )
    finally:
        await tally.stop()
        await notes.stop()
        await drop_databases(dsn, f"chaos_notes_{name}", f"chaos_tally_{name}")


# --- E: PostgreSQL killed mid-consume ----------------------------------------------------------

_REPO = Path(__file__).resolve().parents[3]


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own (deploy/postgres/pg.sh) that a scenario may crash.

    It runs with `synchronous_commit=on`: an immediate stop must not lose a commit the client
    was told about, or the check "no offset ahead of its database commit" would measure the
    test server's durability settings rather than the consumer."""

    def __init__(self, data_dir: str, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    async def _pg(self, *args: str) -> None:
        env = {**os.environ, "HOMEBED_PG_OPTS": "-c synchronous_commit=on"}
        process = await asyncio.create_subprocess_exec(
            "bash", str(_REPO / "deploy/postgres/pg.sh"), *args,
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pg.sh {' '.join(args)} failed: {err.decode()[-500:]}")

    async def start(self, *, fresh: bool = False) -> None:
        parent = os.path.dirname(self.data_dir)
        os.makedirs(parent, exist_ok=True)
        os.chmod(parent, 0o755)  # noqa: S103 - the postgres user must reach its data dir
        await self._pg("start", self.data_dir, str(self.port), *(["--fresh"] if fresh else []))

    async def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend dies, no shutdown checkpoint."""
        await self._pg("stop", self.data_dir, "--immediate")

    async def stop(self) -> None:
        await self._pg("stop", self.data_dir)


async def _committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    except KafkaError:  # e.g. no coordinator yet on a fresh broker: nothing committed
        return {}
    finally:
        await admin.close()


async def _publish_notes(bootstrap: str, topic: str, events: int) -> dict[tuple[int, int], str]:
    """`events` note.recorded envelopes; returns (partition, offset) -> note id."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        notes = [str(uuid.uuid4()) for _ in range(events)]
        futures = []
        for i, note_id in enumerate(notes):
            envelope = Envelope(
                type="note.recorded",
                source="demo-notes",
                subject=note_id,
                data={"note_id": note_id, "text": f"n{i}"},
            )
            value = envelope.model_dump_json().encode()
            futures.append(await producer.send(topic, value, key=note_id.encode()))
        placed = {}
        for note_id, meta in zip(notes, await asyncio.gather(*futures), strict=True):
            placed[(meta.partition, meta.offset)] = note_id
        return placed
    finally:
        await producer.stop()


async def postgres_kill_scenario(
    *,
    bootstrap: str,
    pg: ThrowawayPostgres,
    events: int,
    outage_seconds: float = 2.0,
) -> ScenarioResult:
    """Publish `events` notes; the tally service (chassis consumer runner on a database of `pg`,
    its app's /readyz probed) applies them; once it has committed offsets PostgreSQL is stopped with
    `-m immediate` for `outage_seconds`, then restarted. Recorded on the way: the /readyz
    statuses seen, and how many events below the offsets Kafka had committed for the group at
    the crash are missing from the recovered database (an offset committed ahead of its
    database commit). The result counts rows against what was sent."""
    import httpx
    from asgi_lifespan import LifespanManager

    from chassis.testing.demo import (
        DEMO_TABLES,
        Tally,
        count_tally,
        demo_app,
        demo_runtime,
        tally_handler,
    )

    name = uuid.uuid4().hex[:8]
    topic = f"chaos.pgkill.{name}"
    group = f"chaos-pgkill-{name}"
    await ensure_topics(bootstrap, {topic: 3, f"{topic}.dlq": 3})
    placed = await _publish_notes(bootstrap, topic, events)
    url = await create_database(pg.dsn, f"chaos_pgkill_{name}")
    await _create_schema(url)
    tally = demo_runtime(
        name="svc-demo-tally",
        database_url=url,
        bootstrap=bootstrap,
        handlers={topic: tally_handler()},
        group=group,
        readiness_timeout_seconds=1.0,
    )
    readiness: list[int] = []

    async def count(query: object) -> int:
        async with tally.uow() as uow:
            return int(await uow.session.scalar(query) or 0)  # type: ignore[call-overload]

    async with LifespanManager(
        demo_app(tally, topic), startup_timeout=60, shutdown_timeout=60
    ) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tally") as http:

            async def ready() -> int:
                status = (await http.get("/readyz")).status_code
                if not readiness or readiness[-1] != status:
                    readiness.append(status)
                return status

            await eventually(ready, until=lambda s: s == 200, what="ready before the crash")
            # mid-consume: after the runner committed its first offsets, well before the end
            await eventually(
                lambda: _committed_offsets(bootstrap, group),
                until=lambda offsets: sum(offsets.values()) > 0,
                within=120,
                interval=0.2,
                what="first offsets committed",
            )
            await pg.crash()
            at_crash = await _committed_offsets(bootstrap, group)
            await eventually(ready, until=lambda s: s == 503, within=15, what="503 while down")
            await asyncio.sleep(outage_seconds)  # the outage itself: the fault's duration
            await pg.start()
            await eventually(ready, until=lambda s: s == 200, within=60, what="ready again")
            async with tally.uow() as uow:
                stored = set((await uow.session.scalars(select(Tally.note_id))).all())
            ahead = sum(
                1
                for (partition, offset), note_id in placed.items()
                if offset < at_crash.get(TopicPartition(topic, partition), 0)
                and note_id not in stored
            )
            await eventually(
                lambda: count_tally(tally.uow()),
                until=lambda n: n >= events,
                within=120,
                while_progressing=True,  # a loaded box drains slowly; only a stall fails
                what="all applied after the restart",
            )
            applied = await count(select(func.count()).select_from(Tally))
            distinct = await count(select(func.count(func.distinct(Tally.note_id))))
            processed = await count(select(func.count()).select_from(DEMO_TABLES.processed_events))
    dead = len(await read_topic(bootstrap, f"{topic}.dlq", 3))
    return ScenarioResult(
        name="postgres-kill",
        sent=events,
        acked=len(placed),
        applied=applied,
        duplicates=(applied - distinct) + (processed - applied) + dead,
        lost=events - distinct,
        extra={
            "offsets_ahead_of_db": ahead,
            "committed_at_crash": sum(at_crash.values()),
            "readyz": "-".join(str(s) for s in readiness),
        },
    )
