"""Composition root: settings, the runtime, the device lanes, the telemetry consumers, the loops.

Nothing connects at import time; everything starts in the FastAPI lifespan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.kafka.batch import ApplyBatch, BatchConsumer, OnAssignment, OnIdle
from chassis.kafka.producer import ProducerTuning
from chassis.observability.runtime_health import GcPauseTimer, watch_event_loop_lag
from chassis.runtime import ServiceRuntime
from homebed_schemas.topics import IOT_ALARMS, IOT_TELEMETRY
from iot_ingest.api import ROUTERS
from iot_ingest.api.components import IotComponents
from iot_ingest.api.fast_path import TelemetryFastPath
from iot_ingest.api.openapi_bodies import document_msgspec_bodies
from iot_ingest.consumers import TOPIC_HANDLERS
from iot_ingest.gc_tuning import tune_gc
from iot_ingest.service.device_connectivity import check_connectivity, record_heard
from iot_ingest.service.escalation import run_escalations
from iot_ingest.service.warm_up import warm_up_alarm_lane
from iot_ingest.settings import Settings
from iot_ingest.streams.partitions import PartitionOwnership
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.streams.storage import project_storage
from iot_ingest.tables import CHASSIS_TABLES, consumer_offsets
from iot_ingest.telemetry.auth import DeviceAuthenticator
from iot_ingest.telemetry.cache_invalidation import DeviceCacheListener, asyncpg_dsn
from iot_ingest.telemetry.lane import TelemetryLane
from iot_ingest.telemetry.rate_limit import DeviceRateLimiter
from iot_ingest.telemetry.seq_window import SeqWindows

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, clock: Clock = utc_now, http: bool = True
) -> FastAPI:
    """The service; `http=False` builds the same runtime for `iot_ingest.worker`."""
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        consumer_group=settings.beds_group,
        clock=clock,
        # this producer carries the alarm events (outbox relay): the relay already sends its
        # rows as one burst, so lingering only adds latency to every alarm
        producer_tuning=ProducerTuning(linger_ms=0),
    )
    # its own producer, so a telemetry backlog never queues in front of the alarm outbox
    telemetry_producer = runtime.add_producer(
        "telemetry",
        ProducerTuning(linger_ms=settings.telemetry_linger_ms, max_batch_size=1024 * 1024),
    )
    authenticator = DeviceAuthenticator(runtime.uow, ttl_seconds=settings.device_cache_seconds)
    lane = TelemetryLane(
        authenticator=authenticator,
        producer=telemetry_producer.get,
        limiter=DeviceRateLimiter(
            rate=settings.telemetry_rate_per_device, burst=settings.telemetry_burst_per_device
        ),
        windows=SeqWindows(),
        max_readings=settings.telemetry_max_readings,
        ack_timeout_seconds=settings.telemetry_ack_timeout_seconds,
        source=runtime.events.source,
        wall_clock=runtime.clock,
    )
    device_cache_dsn = asyncpg_dsn(settings.database_url)
    if device_cache_dsn is not None:  # other processes' device changes, at once (PostgreSQL)
        cache_listener = DeviceCacheListener(
            device_cache_dsn, forget=lane.forget_device, forget_all=authenticator.clear
        )

        async def listen_for_device_changes(_runtime: ServiceRuntime) -> None:
            await cache_listener.run_forever()

        runtime.add_task(listen_for_device_changes)
    rule_engine = RuleEngine(
        tick_every=timedelta(seconds=settings.monitor_tick_seconds),
        ownership=PartitionOwnership(),  # owns the beds of the partitions Kafka assigns it
        clock=runtime.clock,
    )

    if http:
        runtime.every(
            settings.seq_flush_seconds,
            lambda: record_heard(
                uow=runtime.uow(), seen=lane.take_seen(), seq_marks=lane.windows.take_dirty()
            ),
            name="flush_seen",
        )
    if settings.loops_enabled:
        runtime.every(
            settings.escalation_poll_seconds,
            lambda: run_escalations(uow=runtime.uow(), now=runtime.clock()),
            name="escalations",
        )
        runtime.every(
            settings.liveness_poll_seconds,
            lambda: check_connectivity(uow=runtime.uow(), now=runtime.clock()),
            name="connectivity",
        )

    telemetry_consumers: list[BatchConsumer] = []

    def consume_telemetry(
        group_id: str,
        apply: ApplyBatch,
        *,
        on_failure: Callable[[], None] = lambda: None,
        on_idle: OnIdle | None = None,
        on_assignment: OnAssignment | None = None,
    ) -> None:
        consumer = BatchConsumer(
            service=settings.service_name,
            bootstrap=settings.kafka_bootstrap,
            group_id=group_id,
            topic=IOT_TELEMETRY.name,
            offsets=consumer_offsets,
            uow_factory=runtime.uow,
            apply=apply,
            on_failure=on_failure,
            on_idle=on_idle,
            on_assignment=on_assignment,
            start_latest=settings.telemetry_start_latest,
        )

        async def run(_runtime: ServiceRuntime) -> None:
            await consumer.run_forever()

        run.__name__ = f"consumer-{group_id}"  # the runtime lets consumers finish their batch
        telemetry_consumers.append(consumer)
        runtime.add_task(run, needs_kafka=True)
        runtime.on_stop(consumer.stop)

    async def rules_assigned(partitions: set[int], partition_count: int) -> None:
        rule_engine.on_assignment(partitions, partition_count)
        await rule_engine.load_owned(runtime.uow)  # before the first batch of the assignment

    if settings.rules_enabled:
        consume_telemetry(
            settings.rules_group,
            rule_engine.apply,
            on_failure=rule_engine.on_failure,
            on_idle=lambda: rule_engine.tick_if_due(runtime.uow),
            on_assignment=rules_assigned,
        )
    if settings.storage_enabled:
        consume_telemetry(settings.storage_group, project_storage)

    # how well this process keeps up (event-loop lag, GC pauses): homebed_event_loop_lag_seconds
    # and homebed_gc_pause_seconds, read by make bench-alarm
    async def event_loop_lag(_runtime: ServiceRuntime) -> None:
        await watch_event_loop_lag(settings.service_name)

    runtime.add_task(event_loop_lag)
    gc_pauses = GcPauseTimer(settings.service_name)

    async def warm_up() -> None:
        await warm_up_alarm_lane(
            uow_factory=runtime.uow,
            authenticator=authenticator,
            connections=settings.warm_connections,
            now=runtime.clock(),
        )

    async def warm_up_with_kafka(running: ServiceRuntime) -> None:
        # the producer learns a topic's partitions at its first send: learn them now instead;
        # and the express path's statements, now that there is a producer to hand events to
        if running.producer is not None:
            await running.producer.partitions_for(IOT_ALARMS.name)
        await warm_up()

    if http:
        runtime.add_task(warm_up_with_kafka, needs_kafka=True)

    async def startup(_app: FastAPI, _runtime: ServiceRuntime) -> None:
        gc_pauses.install()
        if http:  # before the first request: the server accepts none until this returns
            await warm_up()
        if settings.gc_tuning:
            tune_gc()

    async def shutdown(_app: FastAPI, _runtime: ServiceRuntime) -> None:
        await authenticator.settle()  # token reads in the background, before the engine goes
        gc_pauses.remove()

    app = create_service_app(
        runtime=runtime,
        title="HomeBed IoT ingest (物联网接入)",
        routers=ROUTERS,
        on_startup=[startup],
        on_shutdown=[shutdown],
    )
    document_msgspec_bodies(app)
    if settings.telemetry_fast_path:
        # added last: outermost of the app's middleware, so it skips routing and the rest
        app.add_middleware(
            TelemetryFastPath, lane=lane, max_body_bytes=settings.telemetry_max_body_bytes
        )
    app.state.iot = IotComponents(
        settings=settings, authenticator=authenticator, lane=lane, rule_engine=rule_engine
    )
    app.state.telemetry_producer = telemetry_producer
    app.state.telemetry_consumers = telemetry_consumers
    return app
