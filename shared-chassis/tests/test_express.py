"""Express publishing (chassis.kafka.express): an urgent event is handed to the producer by the
transaction that committed it; the outbox relay stays the fallback. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DisconnectionError

from chassis.db import (
    OutboxSignal,
    UnitOfWork,
    _refuse_closed_connection,
    create_engine,
    create_session_factory,
)
from chassis.kafka.express import ExpressPublisher
from chassis.kafka.outbox_relay import OutboxRelay
from chassis.testing.bus import InMemoryBus
from chassis.testing.demo import DEMO_TABLES, DemoBase
from homebed_schemas.envelope import Envelope

TOPIC = "demo.alarms.express"


class HeldAcks(InMemoryBus):
    """A producer whose acknowledgements arrive only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[asyncio.Future[object]] = []

    async def send(self, topic, value, key=None, headers=None):  # type: ignore[no-untyped-def]
        await super().send(topic, value, key, headers)
        held: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.pending.append(held)
        return held

    def acknowledge_all(self) -> None:
        for held in self.pending:
            held.set_result(None)


@pytest.fixture
async def session_factory(database_url: str) -> AsyncIterator[object]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(DemoBase.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def _express(factory: object, producer: InMemoryBus, signal: OutboxSignal) -> ExpressPublisher:
    return ExpressPublisher(
        service="demo",
        session_factory=factory,  # type: ignore[arg-type]
        tables=DEMO_TABLES,
        producer=producer,  # type: ignore[arg-type]
        signal=signal,
        mark_every_seconds=0,
    )


def _relay(factory: object, producer: InMemoryBus, express: ExpressPublisher) -> OutboxRelay:
    return OutboxRelay(
        service="demo",
        session_factory=factory,  # type: ignore[arg-type]
        tables=DEMO_TABLES,
        producer=producer,  # type: ignore[arg-type]
        signal=OutboxSignal(),
        in_flight=express.in_flight,
    )


async def _emit(
    factory: object,
    express: ExpressPublisher | None,
    signal: OutboxSignal,
    key: str,
    text: str,
    *,
    urgent: bool = True,
    commit: bool = True,
) -> UnitOfWork:
    uow = UnitOfWork(factory, DEMO_TABLES, signal=signal, express=express)  # type: ignore[arg-type]
    async with uow:
        await uow.emit(
            topic=TOPIC,
            key=key,
            type_="alarm.raised",
            subject=text,
            data={"text": text},
            express=urgent,
        )
        if commit:
            await uow.commit()
    return uow


async def _unsent(factory: object) -> list[str]:
    async with UnitOfWork(factory, DEMO_TABLES) as uow:  # type: ignore[arg-type]
        outbox = DEMO_TABLES.outbox
        rows = await uow.session.scalars(
            select(outbox.c.payload).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id)
        )
        return [Envelope.model_validate_json(p).subject for p in rows.all()]


def _subjects(bus: InMemoryBus) -> list[str]:
    return [e.subject for e in bus.envelopes(TOPIC)]


async def test_an_express_event_is_sent_at_commit_and_marked_once_acknowledged(
    session_factory: object,
) -> None:
    bus, signal = InMemoryBus(), OutboxSignal()
    express = _express(session_factory, bus, signal)
    uow = await _emit(session_factory, express, signal, "bed-1", "fall-1")
    assert _subjects(bus) == ["fall-1"]  # handed over by the committing transaction itself
    assert uow.last_commit is not None
    assert uow.last_commit.express_events == 1
    await express.drain(5)  # its acknowledgement, then the mark
    assert await _unsent(session_factory) == []
    assert await _relay(session_factory, bus, express).publish_batch() == 0
    assert _subjects(bus) == ["fall-1"]  # sent once


async def test_the_relay_of_the_process_leaves_its_events_in_flight_alone(
    session_factory: object,
) -> None:
    producer, signal = HeldAcks(), OutboxSignal()
    express = _express(session_factory, producer, signal)
    await _emit(session_factory, express, signal, "bed-1", "fall-1")
    assert await _unsent(session_factory) == ["fall-1"]  # not acknowledged yet
    assert await _relay(session_factory, producer, express).publish_batch() == 0
    producer.acknowledge_all()
    await express.drain(5)
    assert await _unsent(session_factory) == []
    assert _subjects(producer) == ["fall-1"]


async def test_an_event_behind_an_unsent_event_of_its_key_waits_for_the_relay(
    session_factory: object,
) -> None:
    bus, signal = InMemoryBus(), OutboxSignal()
    express = _express(session_factory, bus, signal)
    await _emit(session_factory, express, signal, "bed-1", "acknowledged-1", urgent=False)
    await _emit(session_factory, express, signal, "bed-1", "fall-2")  # must not overtake
    await _emit(session_factory, express, signal, "bed-2", "fall-3")  # another key: express
    assert _subjects(bus) == ["fall-3"]
    await express.drain(5)
    assert await _relay(session_factory, bus, express).publish_batch() == 2
    assert _subjects(bus) == ["fall-3", "acknowledged-1", "fall-2"]  # bed-1 in its order


async def test_an_event_behind_its_key_s_events_in_flight_here_goes_express(
    session_factory: object,
) -> None:
    producer, signal = HeldAcks(), OutboxSignal()
    express = _express(session_factory, producer, signal)
    await _emit(session_factory, express, signal, "bed-1", "fall-1")
    await _emit(session_factory, express, signal, "bed-1", "fall-2")  # same producer: in order
    assert _subjects(producer) == ["fall-1", "fall-2"]
    producer.acknowledge_all()
    await express.drain(5)
    assert await _unsent(session_factory) == []


async def test_a_failed_express_send_is_left_to_the_relay(session_factory: object) -> None:
    bus, signal = InMemoryBus(), OutboxSignal()
    express = _express(session_factory, bus, signal)
    bus.fail_sends = True
    await _emit(session_factory, express, signal, "bed-1", "fall-1")
    await express.drain(5)
    assert await _unsent(session_factory) == ["fall-1"]
    assert not express.usable  # the relay drains the backlog in order meanwhile
    await _emit(session_factory, express, signal, "bed-1", "fall-2")
    bus.fail_sends = False
    assert _subjects(bus) == []
    assert await _relay(session_factory, bus, express).publish_batch() == 2
    assert _subjects(bus) == ["fall-1", "fall-2"]


async def test_a_rolled_back_transaction_hands_nothing_over(session_factory: object) -> None:
    bus, signal = InMemoryBus(), OutboxSignal()
    express = _express(session_factory, bus, signal)
    await _emit(session_factory, express, signal, "bed-1", "fall-1", commit=False)
    assert _subjects(bus) == []
    assert await _unsent(session_factory) == []


async def test_a_poll_round_leaves_young_rows_a_woken_round_takes_them(
    session_factory: object,
) -> None:
    bus, signal = InMemoryBus(), OutboxSignal()
    await _emit(session_factory, None, signal, "bed-1", "device-1", urgent=False)
    relay = OutboxRelay(
        service="demo",
        session_factory=session_factory,  # type: ignore[arg-type]
        tables=DEMO_TABLES,
        producer=bus,  # type: ignore[arg-type]
        signal=signal,
        poll_min_age_seconds=60,
    )
    assert await relay.publish_batch(min_age_seconds=60) == 0  # a poll: in flight elsewhere?
    assert await relay.publish_batch() == 1  # woken by its own process's commit: everything


async def test_the_outbox_signal_says_whether_it_was_notified() -> None:
    signal = OutboxSignal()
    assert await signal.wait_at_most(0.01) is False
    signal.notify()
    assert await signal.wait_at_most(5) is True


def test_the_socket_ping_replaces_a_connection_the_server_closed() -> None:
    def connection(closed: bool) -> object:
        return SimpleNamespace(_connection=SimpleNamespace(is_closed=lambda: closed))

    _refuse_closed_connection(connection(False), None, None)
    with pytest.raises(DisconnectionError):
        _refuse_closed_connection(connection(True), None, None)


async def test_the_relay_reports_the_age_of_its_oldest_unsent_event(
    session_factory: object,
) -> None:
    from chassis.observability.metrics import OUTBOX_OLDEST_AGE

    bus, signal = InMemoryBus(), OutboxSignal()
    await _emit(session_factory, None, signal, "bed-1", "device-1", urgent=False)
    relay = OutboxRelay(
        service="demo-age",
        session_factory=session_factory,  # type: ignore[arg-type]
        tables=DEMO_TABLES,
        producer=bus,  # type: ignore[arg-type]
        signal=signal,
    )
    assert await relay.publish_batch(min_age_seconds=3600) == 0  # left waiting: it has an age
    assert OUTBOX_OLDEST_AGE.labels("demo-age")._value.get() > 0
    assert await relay.publish_batch() == 1
    assert OUTBOX_OLDEST_AGE.labels("demo-age")._value.get() == 0  # nothing waits


async def _emit_many(
    factory: object, express: ExpressPublisher, signal: OutboxSignal, *keyed: tuple[str, str]
) -> None:
    uow = UnitOfWork(factory, DEMO_TABLES, signal=signal, express=express)  # type: ignore[arg-type]
    async with uow:
        events = [
            (TOPIC, key, uow.events.build(type_="alarm.escalated", subject=text, data={}))
            for key, text in keyed
        ]
        await uow.publish_many(events, express=True)
        await uow.commit()


async def test_publish_many_keeps_each_key_s_order_and_is_relayed_once(
    session_factory: object,
) -> None:
    """A sweep's events in one INSERT: keys with nothing waiting go express at the commit, in
    their order; a key with an event waiting for the relay waits behind it; then the relay
    publishes what is left, each event once."""
    producer, signal = HeldAcks(), OutboxSignal()
    express = _express(session_factory, producer, signal)
    await _emit(session_factory, express, signal, "bed-2", "waiting-2", urgent=False)
    await _emit_many(
        session_factory,
        express,
        signal,
        ("bed-1", "level-1"),
        ("bed-2", "level-1-of-2"),
        ("bed-1", "breach-1"),
        ("bed-3", "level-1-of-3"),
    )
    assert _subjects(producer) == ["level-1", "breach-1", "level-1-of-3"]
    producer.acknowledge_all()
    await express.drain(5)
    assert await _unsent(session_factory) == ["waiting-2", "level-1-of-2"]
    relay_bus = InMemoryBus()
    assert await _relay(session_factory, relay_bus, express).publish_batch() == 2
    assert _subjects(relay_bus) == ["waiting-2", "level-1-of-2"]  # bed-2 in its order
    assert await _unsent(session_factory) == []


async def test_publish_many_after_the_express_producer_failed_leaves_all_to_the_relay(
    session_factory: object,
) -> None:
    """The sweep commits, the hand-off to Kafka fails (as a crash right after the commit
    would): every event stays in the outbox once and the relay publishes each once."""
    bus, signal = InMemoryBus(), OutboxSignal()
    express = _express(session_factory, bus, signal)
    bus.fail_sends = True
    await _emit_many(session_factory, express, signal, ("bed-1", "a"), ("bed-2", "b"))
    await express.drain(5)
    assert await _unsent(session_factory) == ["a", "b"]
    bus.fail_sends = False
    assert await _relay(session_factory, bus, express).publish_batch() == 2
    assert await _relay(session_factory, bus, express).publish_batch() == 0
    assert _subjects(bus) == ["a", "b"]
