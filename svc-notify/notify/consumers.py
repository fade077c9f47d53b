"""Kafka handlers of svc-notify, built by the composition root around its `Notifications`
(the handlers stamp deliveries with the injected clock and wake the dispatcher): the bed
projection from intake.beds.v1, and every topic a rule names that the registry knows."""

from __future__ import annotations

from collections.abc import Sequence

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, TOPICS_BY_NAME
from notify.batch_runner import BatchHandler
from notify.service.notifications import Notifications


def topic_handlers(notifications: Notifications) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {INTAKE_BEDS.name: notifications.on_bed_event}
    for topic in sorted(notifications.rules.topics()):
        if topic in TOPICS_BY_NAME:  # a producer not registered yet: its rules wait (README)
            handlers[topic] = _for_topic(notifications, topic)
    return handlers


def _for_topic(notifications: Notifications, topic: str) -> Handler:
    async def handle(uow: UnitOfWork, envelope: Envelope) -> None:
        await notifications.on_event(uow, topic, envelope)

    handle.__name__ = f"handle_{topic.replace('.', '_')}"
    return handle


def batch_handlers(notifications: Notifications) -> dict[str, BatchHandler]:
    """The same handlers for notify's batch runner: a poll's events in one transaction."""
    handlers: dict[str, BatchHandler] = {INTAKE_BEDS.name: _beds(notifications)}
    for topic in topic_handlers(notifications):
        if topic != INTAKE_BEDS.name:
            handlers[topic] = _batch_for_topic(notifications, topic)
    return handlers


def _beds(notifications: Notifications) -> BatchHandler:
    async def handle(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            await notifications.on_bed_event(uow, envelope)

    return handle


class _TopicBatch:
    """A topic's batch handler; `read`: its reads with the runner's dedupe read, when the
    topic can (`BatchRunner.apply_batch`)."""

    def __init__(self, notifications: Notifications, topic: str) -> None:
        self.notifications, self.topic = notifications, topic
        self.__name__ = f"handle_{topic.replace('.', '_')}_batch"

    async def __call__(self, uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        await self.notifications.on_events(uow, self.topic, envelopes)

    async def read(
        self, uow: UnitOfWork, group: str, envelopes: Sequence[Envelope]
    ) -> set[str] | None:
        return await self.notifications.read_batch(uow, self.topic, group, envelopes)


def _batch_for_topic(notifications: Notifications, topic: str) -> BatchHandler:
    return _TopicBatch(notifications, topic)
