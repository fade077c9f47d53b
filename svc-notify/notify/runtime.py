"""notify's runtime: the chassis runtime whose units of work run callbacks after their commit
(the consumer's transaction wakes the dispatcher the moment its deliveries are visible)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from chassis.db import UnitOfWork
from chassis.kafka.consumer import ConsumerConfig, Handler
from chassis.observability.context import current_correlation_id
from chassis.runtime import ServiceRuntime
from homebed_schemas.envelope import Envelope
from notify.batch_runner import BatchHandler, BatchRunner


class HookedUnitOfWork(UnitOfWork):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: dict[str, Callable[[], Awaitable[None]]] = {}

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    def before_commit(self, key: str, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` in the transaction just before it commits, once per `key` (a
        PostgreSQL NOTIFY: delivered to the listeners with the commit, never without it)."""
        self._before_commit.setdefault(key, callback)

    async def __aenter__(self) -> HookedUnitOfWork:
        await super().__aenter__()
        self._after_commit = []
        self._before_commit = {}
        return self

    async def commit(self) -> None:
        before, self._before_commit = self._before_commit, {}
        for hook in before.values():
            await hook()
        await super().commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class NotifyRuntime(ServiceRuntime):
    """Its consumer is notify's `BatchRunner` (one transaction per poll) around the batch
    handlers; the chassis builds no runner of its own (no `topic_handlers`)."""

    def __init__(self, *, batch_handlers: Mapping[str, BatchHandler], **kwargs: Any) -> None:
        super().__init__(topic_handlers={}, **kwargs)
        self.batch_handlers = dict(batch_handlers)
        self.handled_topics = list(self.batch_handlers)
        self.add_task(_run_consumer, needs_kafka=True)

    def uow(self) -> UnitOfWork:
        if self.session_factory is None:
            raise RuntimeError("service runtime is not started")
        return HookedUnitOfWork(
            self.session_factory,
            self.tables,
            signal=self.signal,
            correlation_id=current_correlation_id,
            events=self.events,
            express=self.express,
        )


async def _run_consumer(runtime: ServiceRuntime) -> None:
    assert isinstance(runtime, NotifyRuntime)
    assert runtime.producer is not None
    if not runtime.batch_handlers:
        return
    runner = BatchRunner(
        batch_handlers=runtime.batch_handlers,
        service=runtime.settings.service_name,
        bootstrap=runtime.settings.kafka_bootstrap,
        handlers={topic: _unbatched(runtime, topic) for topic in runtime.batch_handlers},
        uow_factory=runtime.uow,
        dlq_producer=runtime.producer,
        config=ConsumerConfig(
            group_id=runtime.consumer_group,
            max_attempts=runtime.settings.consumer_max_attempts,
            backoff_seconds=runtime.settings.consumer_backoff_seconds,
        ),
    )
    runtime.consumers.append(runner)
    await runner.run_forever()


_run_consumer.__name__ = "consumer-notify"


def _unbatched(runtime: NotifyRuntime, topic: str) -> Handler:
    """One record through a batch handler: the chassis path of a batch that failed."""
    handler = runtime.batch_handlers[topic]

    async def handle(uow: UnitOfWork, envelope: Envelope) -> None:
        await handler(uow, [envelope])

    return handle


def before_commit(uow: UnitOfWork, key: str, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` in the transaction before its commit (notify's HookedUnitOfWork); a plain
    unit of work has no hook: nothing runs (the streams' and the dispatcher's polls catch up)."""
    register = getattr(uow, "before_commit", None)
    if register is not None:
        register(key, callback)


def after_commit(uow: UnitOfWork, callback: Callable[[], None]) -> None:
    """Run `callback` once the unit of work commits (notify's HookedUnitOfWork); a plain unit
    of work (tests building their own) just runs it: the dispatcher's poll catches up."""
    register = getattr(uow, "after_commit", None)
    if register is None:
        callback()
    else:
        register(callback)
