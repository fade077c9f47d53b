"""What a running service holds: engine, unit-of-work factory, producer, relay, consumers.

Built and started only inside the FastAPI lifespan (nothing connects at import time). Kafka may be
down when the service starts: HTTP is served at once, `/readyz` says 503, and the producer, relay
and consumers start as soon as the broker answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chassis.clock import Clock, utc_now
from chassis.db import (
    ChassisTables,
    OutboxSignal,
    UnitOfWork,
    create_engine,
    create_session_factory,
)
from chassis.events import EventFactory
from chassis.kafka.consumer import ConsumerConfig, ConsumerRunner, Handler
from chassis.kafka.express import ExpressPublisher
from chassis.kafka.healing import HealingProducer
from chassis.kafka.outbox_relay import OutboxRelay
from chassis.kafka.producer import ProducerTuning, create_producer
from chassis.migrations import upgrade_to_head
from chassis.observability.context import current_correlation_id
from chassis.observability.metrics import (
    DB_POOL_IN_USE,
    DB_POOL_SIZE,
    DEPENDENCY_UP,
    create_producer_series,
)
from chassis.settings import ServiceSettings
from homebed_schemas.topics import TOPICS

logger = logging.getLogger(__name__)

BackgroundTask = Callable[["ServiceRuntime"], Awaitable[None]]
Job = Callable[[], Awaitable[object]]


class ExtraProducer:
    """A producer of its own (e.g. a telemetry lane that must not queue behind the outbox).

    `get()` is None until Kafka answered; the runtime starts it with Kafka and stops it last.
    """

    def __init__(self, name: str, tuning: ProducerTuning | None) -> None:
        self.name = name
        self.tuning = tuning
        self.producer: HealingProducer | None = None

    def get(self) -> HealingProducer | None:
        return self.producer


async def every(seconds: float, what: str, job: Job) -> None:
    """Run `job` every `seconds`, logging (never dying on) its failures."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("periodic job failed", extra={"job": what}, exc_info=True)
        await asyncio.sleep(seconds)


class ServiceRuntime:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        tables: ChassisTables,
        migrations: Path | None,
        topic_handlers: Mapping[str, Handler],
        consumer_group: str | None = None,
        background: Sequence[BackgroundTask] = (),
        kafka_background: Sequence[BackgroundTask] = (),
        producer_tuning: ProducerTuning | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.events = EventFactory(source=settings.service_name)
        self.tables = tables
        self.migrations = migrations
        self.topic_handlers = dict(topic_handlers)
        self.consumer_group = consumer_group or settings.service_name
        self.background = list(background)
        self.kafka_background = list(kafka_background)
        self.producer_tuning = producer_tuning
        self.signal = OutboxSignal()
        self.engine: AsyncEngine | None = None
        self.session_factory: async_sessionmaker[AsyncSession] | None = None
        self.producer: HealingProducer | None = None
        self.relay: OutboxRelay | None = None
        self.express: ExpressPublisher | None = None
        self.consumers: list[ConsumerRunner] = []
        self.extra_producers: list[ExtraProducer] = []
        self._stoppers: list[Callable[[], Awaitable[None]]] = []
        self.kafka_connected = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def uow(self) -> UnitOfWork:
        if self.session_factory is None:
            raise RuntimeError("service runtime is not started")
        return UnitOfWork(
            self.session_factory,
            self.tables,
            signal=self.signal,
            correlation_id=current_correlation_id,
            events=self.events,
            express=self.express,
        )

    def add_task(self, task: BackgroundTask, *, needs_kafka: bool = False) -> None:
        """Run `task(runtime)` with the service (or once Kafka is connected); call before start."""
        (self.kafka_background if needs_kafka else self.background).append(task)

    def every(self, seconds: float, job: Job, *, name: str) -> None:
        """Run `job()` every `seconds` while the service runs; failures are logged, not fatal."""

        async def periodic(_runtime: ServiceRuntime) -> None:
            await every(seconds, name, job)

        periodic.__name__ = name
        self.add_task(periodic)

    def add_producer(self, name: str, tuning: ProducerTuning | None = None) -> ExtraProducer:
        """Another idempotent producer, started with Kafka and stopped with the service."""
        extra = ExtraProducer(name, tuning)
        self.extra_producers.append(extra)
        return extra

    def on_stop(self, stopper: Callable[[], Awaitable[None]]) -> None:
        """Run `stopper()` first when the service stops (e.g. consumers of its own)."""
        self._stoppers.append(stopper)

    async def start(self) -> None:
        url = self.settings.database_url
        if url.startswith("sqlite") and ":///" in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, ping=self.settings.database_ping)
        self.session_factory = create_session_factory(self.engine)
        watch_pool(self.settings.service_name, self.engine)
        service = self.settings.service_name
        create_producer_series(service, [t.name for t in TOPICS if t.producer == service])
        if self.settings.auto_migrate and self.migrations is not None:
            await upgrade_to_head(self.engine, self.migrations)
        for task in self.background:
            self._spawn(task(self), task.__name__)
        if self.settings.kafka_enabled:
            self._spawn(self._connect_kafka(), "kafka-connect")

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        for stopper in self._stoppers:
            with contextlib.suppress(Exception):
                await stopper()
        # Consumers finish the batch in hand and commit its offsets before anything is cancelled.
        for consumer in self.consumers:
            await consumer.stop()
        consumer_tasks = [t for t in self._tasks if t.get_name().startswith("consumer-")]
        if consumer_tasks:
            await asyncio.wait(consumer_tasks, timeout=grace_seconds)
        if self.express is not None:
            # events handed off just before: their acknowledgements and marks, else the relay
            # of the next start publishes them again (harmless, but avoidable)
            await self.express.drain(grace_seconds)
        for task in reversed(self._tasks):
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for extra in self.extra_producers:
            if extra.producer is not None:
                with contextlib.suppress(Exception):
                    await extra.producer.stop()
                extra.producer = None
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        if self.engine is not None:
            await self.engine.dispose()

    async def check_database(self) -> bool:
        if self.engine is None:
            return False
        try:
            async with asyncio.timeout(self.settings.readiness_timeout_seconds):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            ok = True
        except Exception:
            ok = False
        DEPENDENCY_UP.labels(self.settings.service_name, "database").set(int(ok))
        return ok

    async def check_kafka(self) -> bool:
        if not self.settings.kafka_enabled:
            return True
        ok = False
        if self.producer is not None and self.kafka_connected.is_set():
            try:
                async with asyncio.timeout(self.settings.readiness_timeout_seconds):
                    await self.producer.client.fetch_all_metadata()
                ok = True
            except Exception:
                ok = False
        DEPENDENCY_UP.labels(self.settings.service_name, "kafka").set(int(ok))
        return ok

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        async def _guard() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("background task crashed", extra={"task": name})

        self._tasks.append(asyncio.create_task(_guard(), name=name))

    async def _started_producer(
        self, name: str, client_id: str, tuning: ProducerTuning | None
    ) -> HealingProducer:
        """A started producer, retrying with backoff until the broker answers."""
        delay = 0.5
        while True:
            producer = HealingProducer(
                partial(
                    create_producer, self.settings.kafka_bootstrap, client_id=client_id,
                    tuning=tuning,
                ),
                service=self.settings.service_name,
                name=name,
            )  # fmt: skip
            try:
                await producer.start()
                return producer
            except Exception as exc:
                logger.warning(
                    "Kafka not reachable yet; retrying",
                    extra={"bootstrap": self.settings.kafka_bootstrap, "error": type(exc).__name__},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _start_extra_producer(self, extra: ExtraProducer) -> None:
        extra.producer = await self._started_producer(
            extra.name, f"{self.settings.service_name}-{extra.name}", extra.tuning
        )

    async def _connect_kafka(self) -> None:
        producer = await self._started_producer(
            "main", self.settings.service_name, self.producer_tuning
        )
        self.producer = producer
        self.kafka_connected.set()
        assert self.session_factory is not None
        if self.settings.outbox_express:
            self.express = ExpressPublisher(
                service=self.settings.service_name,
                session_factory=self.session_factory,
                tables=self.tables,
                producer=producer,
                signal=self.signal,
            )
            self._spawn(self.express.run_marker(), "outbox-express-marker")
        self.relay = OutboxRelay(
            service=self.settings.service_name,
            session_factory=self.session_factory,
            tables=self.tables,
            producer=producer,
            signal=self.signal,
            batch_size=self.settings.outbox_batch_size,
            poll_seconds=self.settings.outbox_poll_seconds,
            in_flight=self.express.in_flight if self.express is not None else None,
            poll_min_age_seconds=self.settings.outbox_poll_min_age_seconds,
        )
        self._spawn(self.relay.run_forever(), "outbox-relay")
        for extra in self.extra_producers:
            self._spawn(self._start_extra_producer(extra), f"producer-{extra.name}")
        if self.topic_handlers:
            runner = ConsumerRunner(
                service=self.settings.service_name,
                bootstrap=self.settings.kafka_bootstrap,
                handlers=self.topic_handlers,
                uow_factory=self.uow,
                dlq_producer=producer,
                config=ConsumerConfig(
                    group_id=self.consumer_group,
                    max_attempts=self.settings.consumer_max_attempts,
                    backoff_seconds=self.settings.consumer_backoff_seconds,
                ),
            )
            self.consumers.append(runner)
            self._spawn(runner.run_forever(), f"consumer-{self.consumer_group}")
        for task in self.kafka_background:
            self._spawn(task(self), task.__name__)


def watch_pool(service: str, engine: AsyncEngine) -> None:
    """The pool's saturation as gauges read at scrape time (a pool without counts reads 0)."""
    pool = engine.sync_engine.pool

    def count(method: str) -> Callable[[], float]:
        return lambda: float(getattr(pool, method, lambda: 0)())

    DB_POOL_IN_USE.labels(service).set_function(count("checkedout"))
    DB_POOL_SIZE.labels(service).set_function(count("size"))
