"""Chassis database behaviour, run on SQLite and on the real PostgreSQL (test 7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

import service_records.bootstrap
from chassis.db import (
    OutboxSignal,
    OutgoingEvent,
    UnitOfWork,
    create_engine,
    create_session_factory,
)
from chassis.kafka.outbox_relay import OutboxRelay
from chassis.migrations import upgrade_to_head
from chassis.testing.bus import InMemoryBus
from chassis.testing.demo import (
    DEMO_TABLES,
    DemoBase,
    Note,
    count_tally,
    record_note,
    tally_handler,
)
from homebed_schemas.envelope import Envelope

TOPIC = "demo.notes.db"


@pytest.fixture
async def session_factory(database_url: str) -> AsyncIterator[object]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(DemoBase.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def _uow(factory: object, signal: OutboxSignal | None = None) -> UnitOfWork:
    return UnitOfWork(factory, DEMO_TABLES, signal=signal)  # type: ignore[arg-type]


async def _count(factory: object, table: object) -> int:
    async with _uow(factory) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_migrations_create_the_chassis_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    migrations = Path(service_records.bootstrap.__file__).parent / "migrations"
    await upgrade_to_head(engine, migrations)
    await upgrade_to_head(engine, migrations)  # idempotent: already at head
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {"outbox", "processed_events", "alembic_version"} <= names


async def test_unit_of_work_rolls_back_unless_committed(session_factory: object) -> None:
    async with _uow(session_factory) as uow:
        uow.session.add(Note(id="n-1", text="never committed"))
        await uow.publish(
            topic=TOPIC,
            key="n-1",
            event=Envelope(type="note.recorded", source="t", subject="n-1", data={}),
        )
    assert await _count(session_factory, Note.__table__) == 0
    assert await _count(session_factory, DEMO_TABLES.outbox) == 0


async def test_commit_writes_row_and_event_together(session_factory: object) -> None:
    signal = OutboxSignal()
    note = await record_note(uow=_uow(session_factory, signal), text="hello", topic=TOPIC)
    assert await _count(session_factory, Note.__table__) == 1
    async with _uow(session_factory) as uow:
        row = (await uow.session.execute(select(DEMO_TABLES.outbox))).one()
    assert row.key == note.id
    assert row.event_type == "note.recorded"
    assert row.sent_at is None
    assert row.created_at.tzinfo is not None


async def test_relay_publishes_in_order_and_marks_sent(session_factory: object) -> None:
    bus = InMemoryBus()
    signal = OutboxSignal()
    texts = [f"note {i}" for i in range(25)]
    for text in texts:
        await record_note(uow=_uow(session_factory, signal), text=text, topic=TOPIC)
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,
        tables=DEMO_TABLES,  # type: ignore[arg-type]
        producer=bus,
        signal=signal,
        batch_size=10,  # type: ignore[arg-type]
    )
    assert await relay.backlog() == 25
    published = [await relay.publish_batch() for _ in range(4)]
    assert published == [10, 10, 5, 0]
    assert await relay.backlog() == 0
    assert [e.data["text"] for e in bus.envelopes(TOPIC)] == texts


async def test_relay_keeps_failed_rows_for_the_next_round(session_factory: object) -> None:
    bus = InMemoryBus()
    await record_note(uow=_uow(session_factory), text="a", topic=TOPIC)
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,
        tables=DEMO_TABLES,  # type: ignore[arg-type]
        producer=bus,
        signal=OutboxSignal(),  # type: ignore[arg-type]
    )
    bus.fail_sends = True
    assert await relay.publish_batch() == 0
    assert await relay.backlog() == 1
    bus.fail_sends = False
    assert await relay.publish_batch() == 1
    assert await relay.backlog() == 0


async def test_duplicate_delivery_applies_once_and_poison_goes_to_dlq(
    session_factory: object,
) -> None:
    bus = InMemoryBus()
    await record_note(uow=_uow(session_factory), text="good", topic=TOPIC)
    await record_note(uow=_uow(session_factory), text="poison", topic=TOPIC)
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,
        tables=DEMO_TABLES,  # type: ignore[arg-type]
        producer=bus,
        signal=OutboxSignal(),  # type: ignore[arg-type]
    )
    await relay.publish_batch()
    good = bus.topics[TOPIC][0]
    await bus.send(TOPIC, good.value, good.key)  # the same event twice more
    await bus.send(TOPIC, good.value, good.key)
    outcomes = await bus.deliver(
        handlers={TOPIC: tally_handler(fail_on="poison")},
        uow_factory=lambda: _uow(session_factory),
        group_id="tally",
    )
    assert outcomes == {"applied": 1, "dead_lettered": 1, "duplicate": 2}
    assert await count_tally(_uow(session_factory)) == 1
    assert [e.data["text"] for e in bus.envelopes(f"{TOPIC}.dlq")] == ["poison"]
    [parked] = bus.topics[f"{TOPIC}.dlq"]
    headers = dict(parked.headers)
    # the runner's own headers: the bus runs MessageApplier, not a copy of the retry loop
    assert headers["x-error-type"] == b"ValueError"
    assert headers["x-attempts"] == b"3"
    assert headers["x-consumer-group"] == b"tally"
    assert headers["x-original-topic"] == TOPIC.encode()


async def test_in_memory_bus_runs_the_runners_apply_and_dlq_code(
    session_factory: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bus delegates to `MessageApplier`: a change there changes in-memory delivery."""
    from chassis.kafka import consumer

    calls: list[int] = []
    real = consumer.MessageApplier.process

    async def spy(self: consumer.MessageApplier, record: object) -> str:
        calls.append(record.offset)  # type: ignore[attr-defined]
        return await real(self, record)  # type: ignore[arg-type]

    monkeypatch.setattr(consumer.MessageApplier, "process", spy)
    bus = InMemoryBus()
    await bus.send(TOPIC, b"{not json", b"k")
    await record_note(uow=_uow(session_factory), text="after", topic=TOPIC)
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,
        tables=DEMO_TABLES,  # type: ignore[arg-type]
        producer=bus,
        signal=OutboxSignal(),  # type: ignore[arg-type]
    )
    await relay.publish_batch()
    outcomes = await bus.deliver(
        handlers={TOPIC: tally_handler()},
        uow_factory=lambda: _uow(session_factory),
        group_id="tally",
    )
    assert calls == [0, 1]
    assert outcomes == {"dead_lettered": 1, "applied": 1}
    [parked] = bus.topics[f"{TOPIC}.dlq"]
    assert dict(parked.headers)["x-error-type"] == b"PoisonMessage"
    assert dict(parked.headers)["x-attempts"] == b"1"


async def test_emit_many_stages_a_set_in_order_with_the_transaction(
    session_factory: object,
) -> None:
    """`emit_many`: one executemany for a batch's events, in order, with the transaction (rolled
    back with it, sent by the relay like `emit`'s)."""
    events = [
        OutgoingEvent(
            topic=TOPIC, key=f"k-{n % 2}", type_="note.recorded", subject=f"n-{n}", data={"n": n}
        )
        for n in range(5)
    ]
    async with _uow(session_factory) as uow:
        await uow.emit_many(events)  # not committed
    assert await _count(session_factory, DEMO_TABLES.outbox) == 0
    signal = OutboxSignal()
    async with _uow(session_factory, signal) as uow:
        assert await uow.emit_many([]) == []
        staged = await uow.emit_many(events)
        await uow.commit()
    assert [e.subject for e in staged] == [f"n-{n}" for n in range(5)]
    async with _uow(session_factory) as uow:
        rows = (
            await uow.session.execute(select(DEMO_TABLES.outbox).order_by(DEMO_TABLES.outbox.c.id))
        ).all()
    assert [(r.key, r.event_id) for r in rows] == [
        (f"k-{n % 2}", str(staged[n].id)) for n in range(5)
    ]
    bus = InMemoryBus()
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,
        tables=DEMO_TABLES,  # type: ignore[arg-type]
        producer=bus,
        signal=signal,  # type: ignore[arg-type]
    )
    assert await relay.publish_batch() == 5
    assert [e.data["n"] for e in bus.envelopes(TOPIC)] == list(range(5))
