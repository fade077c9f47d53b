"""HealingProducer: a producer Kafka refuses for good (OutOfOrderSequenceNumber after a broker
restart, aio-libs/aiokafka#1017) is replaced by a fresh one; nothing else replaces it.

Fakes stand in for aiokafka's producer (its poisoned state cannot be produced on demand); the
real one is exercised by the kafka-down chaos scenario (`make chaos`, bench/chaos_kafka_down.py),
where every run since the fix replaced the lane's producer once and lost nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, OutOfOrderSequenceNumber, UnknownProducerId

from chassis.kafka.healing import HealingProducer
from chassis.observability.metrics import KAFKA_PRODUCER_REPLACED


class FakeProducer:
    """Acks every send, unless told to fail its acks (or its sends) with an error."""

    def __init__(self, number: int, start_gate: asyncio.Event | None = None) -> None:
        self.number = number
        self.sent: list[tuple[str, bytes | None]] = []
        self.fail_acks_with: BaseException | None = None
        self.fail_sends_with: BaseException | None = None
        self.start_gate = start_gate
        self.started = self.stopped = False
        self.client = f"client-{number}"

    async def start(self) -> None:
        if self.start_gate is not None:
            await self.start_gate.wait()
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}

    async def send(self, topic: str, value: bytes | None = None, **_: Any) -> asyncio.Future[Any]:
        if self.fail_sends_with is not None:
            raise self.fail_sends_with
        self.sent.append((topic, value))
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail_acks_with is not None:
            ack.set_exception(self.fail_acks_with)
        else:
            ack.set_result(len(self.sent))
        return ack


class Factory:
    def __init__(self) -> None:
        self.made: list[FakeProducer] = []
        self.gate: asyncio.Event | None = None

    def __call__(self) -> Any:
        producer = FakeProducer(len(self.made), self.gate)
        self.made.append(producer)
        return producer


async def _settled(healing: HealingProducer) -> None:
    """Let the replacement task (scheduled by an ack's callback) run to its end."""
    await asyncio.sleep(0)  # an ack's done callbacks run on the next loop turn
    while healing._replacing is not None or healing._retired:
        await asyncio.gather(
            *(t for t in (healing._replacing, *healing._retired) if t is not None),
            return_exceptions=True,
        )


async def test_an_out_of_order_ack_replaces_the_producer_and_later_sends_go_to_the_fresh_one() -> (
    None
):
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="lane")
    await healing.start()
    before = KAFKA_PRODUCER_REPLACED.labels("test-heal", "lane")._value.get()
    first = factory.made[0]
    first.fail_acks_with = OutOfOrderSequenceNumber()
    acks = [await healing.send("t", b"%d" % i) for i in range(3)]
    for ack in acks:  # every ack of the poisoned producer fails as the broker said
        with pytest.raises(OutOfOrderSequenceNumber):
            await ack
    await _settled(healing)
    assert len(factory.made) == 2  # one replacement for the three failures
    fresh = factory.made[1]
    assert (fresh.started, first.stopped, healing.replacements) == (True, True, 1)
    assert await healing.send_and_wait("t", b"again") == 1
    assert fresh.sent == [("t", b"again")]
    assert healing.client == "client-1"
    assert KAFKA_PRODUCER_REPLACED.labels("test-heal", "lane")._value.get() == before + 1
    await healing.stop()
    assert fresh.stopped


async def test_a_send_that_raises_a_poisoning_error_replaces_the_producer() -> None:
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="main")
    await healing.start()
    factory.made[0].fail_sends_with = UnknownProducerId()
    with pytest.raises(UnknownProducerId):
        await healing.send("t", b"x")
    await _settled(healing)
    assert healing.replacements == 1
    assert await healing.send_and_wait("t", b"y") == 1
    await healing.stop()


@pytest.mark.parametrize(
    "error", [KafkaTimeoutError(), ConnectionError("broker down")], ids=["timeout", "connection"]
)
async def test_errors_a_producer_recovers_from_do_not_replace_it(error: BaseException) -> None:
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="main")
    await healing.start()
    factory.made[0].fail_acks_with = error
    ack = await healing.send("t", b"x")
    with pytest.raises(type(error)):
        await ack
    await _settled(healing)
    assert (len(factory.made), healing.replacements) == (1, 0)
    await healing.stop()


async def test_a_cancelled_ack_is_not_read_as_a_failure() -> None:
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="main")
    await healing.start()
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def never_acked(topic: str, value: bytes | None = None, **_: Any) -> asyncio.Future[Any]:
        return pending

    factory.made[0].send = never_acked  # type: ignore[method-assign]
    ack = await healing.send("t", b"x")
    ack.cancel()  # a caller's deadline gave up on it
    await asyncio.sleep(0)  # the done callbacks run on the next loop turn
    assert healing.replacements == 0
    assert healing._replacing is None
    await healing.stop()


async def test_sends_during_the_replacement_wait_for_the_fresh_producer() -> None:
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="lane")
    await healing.start()
    factory.made[0].fail_acks_with = OutOfOrderSequenceNumber()
    factory.gate = asyncio.Event()  # the replacement's start blocks until the broker answers
    with pytest.raises(OutOfOrderSequenceNumber):
        await (await healing.send("t", b"poisoned"))
    waiting = asyncio.create_task(healing.send_and_wait("t", b"queued"))
    await asyncio.sleep(0)
    assert healing._replacing is not None
    assert not waiting.done()
    # a caller giving up while it waits does not cancel the replacement
    impatient = asyncio.create_task(healing.send("t", b"gives up"))
    await asyncio.sleep(0)
    impatient.cancel()
    factory.gate.set()
    assert await waiting == 1
    assert factory.made[1].sent == [("t", b"queued")]
    assert factory.made[0].sent == [("t", b"poisoned")]
    await _settled(healing)
    assert healing.replacements == 1
    await healing.stop()


async def test_a_replacement_that_cannot_start_yet_is_retried_with_backoff() -> None:
    factory = Factory()
    healing = HealingProducer(factory, service="test-heal", name="main", restart_backoff=(0.0, 0.0))
    await healing.start()
    starts = 0
    real_call = factory.__call__

    def flaky() -> Any:
        nonlocal starts
        producer = real_call()
        starts += 1
        if starts <= 2:

            async def refuse() -> None:
                raise ConnectionError("broker not back yet")

            producer.start = refuse
        return producer

    healing._factory = flaky
    factory.made[0].fail_acks_with = OutOfOrderSequenceNumber()
    with pytest.raises(OutOfOrderSequenceNumber):
        await (await healing.send("t", b"x"))
    await _settled(healing)
    assert starts == 3
    assert healing.replacements == 1
    assert [p.stopped for p in factory.made[1:3]] == [True, True]  # refused starts are stopped
    assert await healing.send_and_wait("t", b"y") == 1
    await healing.stop()
