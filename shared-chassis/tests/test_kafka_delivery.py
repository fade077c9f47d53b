"""Delivery guarantees against the real Kafka broker and PostgreSQL (Foundation tests 1-6)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from chassis.kafka.consumer import ConsumerConfig, ConsumerRunner
from chassis.kafka.crash import CRASH_ENV
from chassis.kafka.outbox_relay import OutboxRelay
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.runtime import ServiceRuntime
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from chassis.testing.bus import InMemoryBus
from chassis.testing.demo import count_tally, demo_app, demo_runtime, record_note, tally_handler
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def _tally_runtime(
    url: str, bootstrap: str, topic: str, group: str, **kw: object
) -> ServiceRuntime:
    return demo_runtime(
        name="svc-demo-tally",
        database_url=url,
        bootstrap=bootstrap,
        handlers={topic: tally_handler(fail_on="poison")},
        group=group,
        **kw,
    )


async def _read_all(
    bootstrap: str, topic: str, expected: int
) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found.extend((r.value, dict(r.headers)) for r in records)
    finally:
        await consumer.stop()
    return found


async def test_outbox_round_trip_between_two_apps(
    kafka_bootstrap: str,
    postgres_url: str,
    sqlite_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """1. An HTTP use case commits a row and an event; another app applies it exactly once."""
    notes = demo_runtime(
        name="svc-demo-notes", database_url=postgres_url, bootstrap=kafka_bootstrap
    )
    app = demo_app(notes, demo_topic)
    token = mint_internal_token(Principal(sub="u1", role=Role.OPS), DEV_INTERNAL_TOKEN_KEY)
    tally = _tally_runtime(sqlite_url, kafka_bootstrap, demo_topic, f"tally-{unique_name}")
    async with (
        LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager,
        run_runtime(tally),
    ):
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as http:
            response = await http.post(
                "/v1/notes",
                json={"text": "round trip"},
                headers={PRINCIPAL_HEADER: token, "X-Request-ID": f"req-{unique_name}"},
            )
            assert response.status_code == 201
        await eventually(
            lambda: count_tally(tally.uow()), until=lambda n: n == 1, what="projection"
        )
        assert notes.relay is not None
        await eventually(notes.relay.backlog, until=lambda n: n == 0, what="outbox drained")
    [(value, headers)] = await _read_all(kafka_bootstrap, demo_topic, 1)
    event = orjson.loads(value)
    assert event["correlation_id"] == f"req-{unique_name}"
    assert headers["event_type"] == b"note.recorded"
    assert tally.session_factory is not None
    assert await count_tally(tally.uow()) == 1


async def test_same_event_three_times_is_applied_once(
    kafka_bootstrap: str,
    sqlite_url: str,
    postgres_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """2. Redelivered duplicates are recognised and skipped."""
    notes = demo_runtime(
        name="svc-demo-notes",
        database_url=sqlite_url,
        bootstrap=kafka_bootstrap,
        kafka_enabled=False,
    )
    async with run_runtime(notes):
        await record_note(uow=notes.uow(), text="once", topic=demo_topic)
        async with notes.uow() as uow:
            from sqlalchemy import select

            row = (await uow.session.execute(select(uow.tables.outbox))).one()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(3):
            await producer.send_and_wait(demo_topic, row.payload, key=row.key.encode())
    finally:
        await producer.stop()
    tally = _tally_runtime(postgres_url, kafka_bootstrap, demo_topic, f"tally-{unique_name}")
    async with run_runtime(tally):
        runner = tally.consumers[0]
        await eventually(lambda: _consumed(runner, demo_topic), until=lambda n: n >= 3)
        assert await count_tally(tally.uow()) == 1
    assert _outcome(runner, demo_topic, "applied") == 1
    assert _outcome(runner, demo_topic, "duplicate") == 2


def _outcome(runner: ConsumerRunner, topic: str, outcome: str) -> float:
    from chassis.observability.metrics import KAFKA_CONSUMED

    return KAFKA_CONSUMED.labels("svc-demo-tally", topic, runner.group_id, outcome)._value.get()


async def _consumed(runner: ConsumerRunner, topic: str) -> float:
    return sum(_outcome(runner, topic, o) for o in ("applied", "duplicate", "dead_lettered"))


CRASH_WORKER = Path(__file__).with_name("crash_worker.py")


async def _committed(bootstrap: str, topic: str, group: str) -> int:
    """The sum of the group's committed offsets over the topic's partitions."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await consumer._client.fetch_all_metadata()
        total = 0
        for partition in partitions.partitions_for_topic(topic) or ():
            total += await consumer.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await consumer.stop()


@pytest.mark.long(35)
async def test_consumer_sigkilled_between_db_commit_and_offset_commit(
    kafka_bootstrap: str,
    postgres_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """3. A real process kill (SIGKILL) right after the 4th message's database commit, before
    its offset commit: the redelivered messages are recognised, each note is applied once."""
    group = f"tally-{unique_name}"
    tally = _tally_runtime(postgres_url, kafka_bootstrap, demo_topic, group, kafka_enabled=False)
    sent = 10
    async with run_runtime(tally):  # creates the schema; its own consumer is off
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            for i in range(sent):
                await producer.send_and_wait(
                    demo_topic, _note_event(f"killed {i}"), key=b"one-key", partition=0
                )
        finally:
            await producer.stop()
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CRASH_WORKER),
            "runner",
            postgres_url,
            kafka_bootstrap,
            demo_topic,
            group,
            env={**os.environ, CRASH_ENV: "4"},
            stdout=asyncio.subprocess.DEVNULL,
        )
        try:
            returncode = await asyncio.wait_for(worker.wait(), 60)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        assert returncode == -signal.SIGKILL
        assert await count_tally(tally.uow()) == 4  # committed in the database ...
        assert await _committed(kafka_bootstrap, demo_topic, group) == 0  # ... not in Kafka
        survivor = ConsumerRunner(
            service="svc-demo-tally",
            bootstrap=kafka_bootstrap,
            handlers=tally.topic_handlers,
            uow_factory=tally.uow,
            dlq_producer=InMemoryBus(),  # type: ignore[arg-type]
            config=ConsumerConfig(group_id=group),
        )
        before = _outcome(survivor, demo_topic, "duplicate")
        task = asyncio.create_task(survivor.run_forever())
        try:
            await eventually(
                lambda: count_tally(tally.uow()), until=lambda n: n >= sent, what="all applied"
            )
            await eventually(
                lambda: _committed(kafka_bootstrap, demo_topic, group),
                until=lambda n: n == sent,
                what="offsets committed",
            )
        finally:
            await survivor.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert _outcome(survivor, demo_topic, "duplicate") == before + 4
        assert await count_tally(tally.uow()) == sent
        async with tally.uow() as uow:
            processed = uow.tables.processed_events
            rows = await uow.session.scalar(
                select(func.count())
                .select_from(processed)
                .where(processed.c.consumer_group == group)
            )
        assert rows == sent


def _note_event(text: str) -> bytes:
    note_id = str(uuid.uuid4())
    envelope = Envelope(
        type="note.recorded",
        source="demo-notes",
        subject=note_id,
        data={"note_id": note_id, "text": text},
    )
    return orjson.dumps(envelope.model_dump(mode="json"))


async def _async(value: float) -> float:
    return value


class _CrashBeforeMarkingSent(OutboxRelay):
    async def _mark_sent(self, session: object, ids: list[int]) -> None:
        raise RuntimeError("relay killed after Kafka acknowledged, before marking sent")


async def test_relay_killed_before_marking_sent(
    kafka_bootstrap: str,
    postgres_url: str,
    sqlite_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """4. The batch is republished, consumers dedupe it, and the backlog returns to 0."""
    notes = demo_runtime(
        name="svc-demo-notes", database_url=postgres_url, bootstrap=kafka_bootstrap
    )
    tally = _tally_runtime(sqlite_url, kafka_bootstrap, demo_topic, f"tally-{unique_name}")
    async with run_runtime(notes):
        assert notes.relay is not None
        assert notes.producer is not None
        for task in list(notes._tasks):
            if task.get_name() == "outbox-relay":
                task.cancel()
        for i in range(5):
            await record_note(uow=notes.uow(), text=f"n{i}", topic=demo_topic)
        crashing = _CrashBeforeMarkingSent(
            service="svc-demo-notes",
            session_factory=notes.session_factory,  # type: ignore[arg-type]
            tables=notes.tables,
            producer=notes.producer,
            signal=notes.signal,
        )
        with pytest.raises(RuntimeError, match="before marking sent"):
            await crashing.publish_batch()
        assert await notes.relay.backlog() == 5
        assert await notes.relay.publish_batch() == 5
        assert await notes.relay.backlog() == 0
    assert len(await _read_all(kafka_bootstrap, demo_topic, 10)) == 10  # each event twice
    async with run_runtime(tally):
        runner = tally.consumers[0]
        await eventually(lambda: _consumed(runner, demo_topic), until=lambda n: n >= 10)
        assert await count_tally(tally.uow()) == 5
        assert _outcome(runner, demo_topic, "duplicate") == 5


def _broker(action: str) -> None:
    data = os.environ["HOMEBED_TEST_KAFKA_DATA_DIR"]
    port = os.environ["HOMEBED_TEST_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1]
    args = [str(ROOT / "deploy/kafka/kafka.sh"), action, data]
    if action == "start":
        args.append(port)
    subprocess.run(args, check=True, capture_output=True, timeout=120)


# It stops the shared test broker: run alone, after the parallel integration tests.
@pytest.mark.exclusive
async def test_broker_down_for_ten_seconds_loses_nothing(
    kafka_bootstrap: str,
    postgres_url: str,
    sqlite_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """5. Events written while the broker is stopped are published after it returns."""
    notes = demo_runtime(
        name="svc-demo-notes", database_url=postgres_url, bootstrap=kafka_bootstrap
    )
    tally = _tally_runtime(sqlite_url, kafka_bootstrap, demo_topic, f"tally-{unique_name}")
    async with run_runtime(notes), run_runtime(tally):
        for i in range(10):
            await record_note(uow=notes.uow(), text=f"before {i}", topic=demo_topic)
        await eventually(lambda: count_tally(tally.uow()), until=lambda n: n == 10, within=60)
        await asyncio.to_thread(_broker, "stop")
        try:
            outage_started = asyncio.get_running_loop().time()
            written = 0
            # Keep writing for the whole outage: the use cases never depend on the broker.
            while asyncio.get_running_loop().time() - outage_started < 10:
                await record_note(uow=notes.uow(), text=f"during {written}", topic=demo_topic)
                written += 1
                await asyncio.sleep(0.25)
            assert notes.relay is not None
            assert await notes.relay.backlog() > 0
        finally:
            await asyncio.to_thread(_broker, "start")
        await eventually(notes.relay.backlog, until=lambda n: n == 0, within=90, what="catch-up")
        await eventually(
            lambda: count_tally(tally.uow()),
            until=lambda n: n == 10 + written,
            within=90,
            what="all events applied",
        )


async def test_poison_message_goes_to_dlq_and_next_message_is_processed(
    kafka_bootstrap: str,
    postgres_url: str,
    sqlite_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    """6. After N attempts the poison message is parked with its error; the consumer moves on."""
    notes = demo_runtime(name="svc-demo-notes", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    tally = _tally_runtime(
        postgres_url, kafka_bootstrap, demo_topic, f"tally-{unique_name}", consumer_max_attempts=3
    )
    async with run_runtime(notes), run_runtime(tally):
        assert notes.producer is not None
        await notes.producer.send_and_wait(demo_topic, b"{not json", key=b"k1")
        await record_note(uow=notes.uow(), text="poison", topic=demo_topic)
        await record_note(uow=notes.uow(), text="good after poison", topic=demo_topic)
        await eventually(lambda: count_tally(tally.uow()), until=lambda n: n == 1, within=60)
    parked = await _read_all(kafka_bootstrap, f"{demo_topic}.dlq", 2)
    by_type = {h["x-error-type"]: h for _, h in parked}
    assert by_type[b"ValueError"]["x-attempts"] == b"3"
    assert by_type[b"PoisonMessage"]["x-attempts"] == b"1"
    assert all(h["x-original-topic"] == demo_topic.encode() for _, h in parked)
