"""Composition root: builds the runtime, the device lanes, the consumers and the loops.

Nothing connects at import time; everything starts in the FastAPI lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.kafka.batch import BatchConsumer
from chassis.kafka.producer import ProducerTuning, create_producer
from chassis.runtime import ServiceRuntime
from chassis.write_lock import serialized_writes
from homebed_schemas.topics import INTAKE_BEDS, IOT_TELEMETRY
from iot_ingest.alarms.service import run_escalations
from iot_ingest.api import alarms, device_lanes, devices, monitoring, stream
from iot_ingest.api.components import IotComponents
from iot_ingest.api.errors import install_error_handlers
from iot_ingest.api.fast_path import TelemetryFastPath
from iot_ingest.gc_tuning import tune_gc
from iot_ingest.registry.beds import apply_bed_event
from iot_ingest.registry.liveness import check_liveness, flush_seen
from iot_ingest.settings import Settings
from iot_ingest.streams.partitions import PartitionOwnership
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.streams.storage import project_storage
from iot_ingest.tables import CHASSIS_TABLES, consumer_offsets
from iot_ingest.telemetry.auth import DeviceAuthenticator
from iot_ingest.telemetry.lane import TelemetryLane
from iot_ingest.telemetry.rate_limit import DeviceRateLimiter
from iot_ingest.telemetry.seq_window import SeqWindows

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class TelemetryProducer:
    """Its own producer, so a telemetry backlog never queues in front of the alarm outbox."""

    def __init__(self) -> None:
        self.producer: AIOKafkaProducer | None = None

    def get(self) -> AIOKafkaProducer | None:
        return self.producer

    async def start(self, settings: Settings) -> None:
        delay = 0.5
        while self.producer is None:
            producer = create_producer(
                settings.kafka_bootstrap,
                client_id=f"{settings.service_name}-telemetry",
                tuning=ProducerTuning(
                    linger_ms=settings.telemetry_linger_ms, max_batch_size=1024 * 1024
                ),
            )
            try:
                await producer.start()
                self.producer = producer
            except Exception:
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()
            self.producer = None


async def every(seconds: float, what: str, job: Callable[[], Awaitable[object]]) -> None:
    """Run `job` every `seconds`, logging (not dying on) failures."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("periodic job failed", extra={"job": what}, exc_info=True)
        await asyncio.sleep(seconds)


def create_app(settings: Settings | None = None, *, http: bool = True) -> FastAPI:
    """The service; `http=False` builds the same runtime for `iot_ingest.worker`."""
    settings = settings or Settings()
    telemetry_producer = TelemetryProducer()
    runtime_ref: list[ServiceRuntime] = []

    def uow_factory():  # type: ignore[no-untyped-def]
        return runtime_ref[0].uow()

    authenticator = DeviceAuthenticator(uow_factory, ttl_seconds=settings.device_cache_seconds)
    lane = TelemetryLane(
        authenticator=authenticator,
        producer=telemetry_producer.get,
        limiter=DeviceRateLimiter(
            rate=settings.telemetry_rate_per_device, burst=settings.telemetry_burst_per_device
        ),
        windows=SeqWindows(),
        max_readings=settings.telemetry_max_readings,
        ack_timeout_seconds=settings.telemetry_ack_timeout_seconds,
    )
    rule_engine = RuleEngine(
        tick_every=timedelta(seconds=settings.monitor_tick_seconds),
        ownership=PartitionOwnership(),  # owns the beds of the partitions Kafka assigns it
    )
    consumers: list[BatchConsumer] = []

    async def flush_seen_loop(runtime: ServiceRuntime) -> None:
        async def flush() -> None:
            seen, marks = lane.take_seen(), lane.windows.take_dirty()
            if not seen and not marks:
                return
            async with runtime.uow() as uow, serialized_writes(uow):
                await flush_seen(uow, seen=seen, seq_marks=marks)
                await uow.commit()

        await every(settings.seq_flush_seconds, "flush_seen", flush)

    async def escalation_loop(runtime: ServiceRuntime) -> None:
        await every(
            settings.escalation_poll_seconds,
            "escalations",
            lambda: run_escalations(uow=runtime.uow()),
        )

    async def liveness_loop(runtime: ServiceRuntime) -> None:
        await every(
            settings.liveness_poll_seconds, "liveness", lambda: check_liveness(uow=runtime.uow())
        )

    async def telemetry_producer_task(runtime: ServiceRuntime) -> None:
        await telemetry_producer.start(settings)

    async def rules_task(runtime: ServiceRuntime) -> None:
        consumer = BatchConsumer(
            service=settings.service_name,
            bootstrap=settings.kafka_bootstrap,
            group_id=settings.rules_group,
            topic=IOT_TELEMETRY.name,
            offsets=consumer_offsets,
            uow_factory=runtime.uow,
            apply=rule_engine.apply,
            start_latest=settings.telemetry_start_latest,
            on_failure=rule_engine.reset,
            on_idle=lambda: rule_engine.tick_if_due(runtime.uow),
            on_assignment=rule_engine.on_assignment,
        )
        consumers.append(consumer)
        await consumer.run_forever()

    async def storage_task(runtime: ServiceRuntime) -> None:
        consumer = BatchConsumer(
            service=settings.service_name,
            bootstrap=settings.kafka_bootstrap,
            group_id=settings.storage_group,
            topic=IOT_TELEMETRY.name,
            offsets=consumer_offsets,
            uow_factory=runtime.uow,
            apply=project_storage,
            start_latest=settings.telemetry_start_latest,
        )
        consumers.append(consumer)
        await consumer.run_forever()

    kafka_tasks = [telemetry_producer_task] if http else []
    if settings.rules_enabled:
        kafka_tasks.append(rules_task)
    if settings.storage_enabled:
        kafka_tasks.append(storage_task)
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers={INTAKE_BEDS.name: apply_bed_event},
        consumer_group=settings.beds_group,
        background=[
            *([flush_seen_loop] if http else []),
            *([escalation_loop, liveness_loop] if settings.loops_enabled else []),
        ],
        kafka_background=kafka_tasks,
        # this producer carries the alarm events (outbox relay): the relay already sends its
        # rows as one burst, so lingering only adds latency to every alarm
        producer_tuning=ProducerTuning(linger_ms=0),
    )
    runtime_ref.append(runtime)

    async def startup(_app: FastAPI, _runtime: ServiceRuntime) -> None:
        if settings.gc_tuning:
            tune_gc()

    async def shutdown(_app: FastAPI, _runtime: ServiceRuntime) -> None:
        for consumer in consumers:
            await consumer.stop()
        await telemetry_producer.stop()

    app = create_service_app(
        runtime=runtime,
        title="HomeBed IoT ingest (物联网接入)",
        routers=[
            device_lanes.router,
            devices.router,
            stream.router,  # before alarms: /v1/alarms/stream is not an alarm id
            alarms.router,
            monitoring.router,
        ],
        on_startup=[startup],
        on_shutdown=[shutdown],
    )
    install_error_handlers(app)
    if settings.telemetry_fast_path:
        # added last: outermost of the app's middleware, so it skips routing and the rest
        app.add_middleware(
            TelemetryFastPath, lane=lane, max_body_bytes=settings.telemetry_max_body_bytes
        )
    app.state.iot = IotComponents(
        settings=settings, authenticator=authenticator, lane=lane, rule_engine=rule_engine
    )
    app.state.telemetry_producer = telemetry_producer
    app.state.telemetry_consumers = consumers
    return app
