"""Test helpers for iot-ingest (used by its tests and the benchmarks)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aiokafka import ConsumerRecord
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import Clock, utc_now
from chassis.principal import Role
from chassis.runtime import ServiceRuntime
from chassis.testing.bus import InMemoryBus
from chassis.testing.eventually import eventually
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import (
    ConsentDecision,
    ConsentEvent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
)
from homebed_schemas.events.intake import BedEvent
from iot_ingest.bootstrap import create_app
from iot_ingest.consumers import handle_bed_event
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.settings import Settings
from iot_ingest.telemetry.codec import encode_telemetry

QUIET_LOOPS = {
    "escalation_poll_seconds": 3600,
    "liveness_poll_seconds": 3600,
    "seq_flush_seconds": 3600,
    "monitor_tick_seconds": 3600,
    "stream_poll_seconds": 0.05,
    "log_json": False,
    "gc_tuning": False,
}


def bed_envelope(
    bed_id: str,
    provider_id: str = "p1",
    kind: str = "established",
    at: datetime | None = None,
    *,
    status: str | None = None,
    previous_provider_id: str | None = None,
) -> Envelope:
    """A `bed.<kind>` event; the bed's status is `kind` unless given (`provider_changed`)."""
    at = at or datetime.now(UTC)
    data = BedEvent(
        bed_id=bed_id,
        application_id=f"app-{bed_id}",
        elder_id=f"elder-{bed_id}",
        provider_id=provider_id,
        jurisdiction="330100",
        region_code="330102",
        status=status or kind,
        economic_status="other",
        package_fee_fen=50_000,
        contract_start=date(2026, 1, 1),
        contract_end=date(2026, 12, 31),
        previous_provider_id=previous_provider_id,
        occurred_at=at,
    )
    return Envelope(
        type=f"bed.{kind}",
        source="svc-intake",
        subject=bed_id,
        time=at,
        data=data.model_dump(mode="json"),
    )


def consent_envelope(
    bed_id: str,
    *,
    consent_id: str = "consent-1",
    kind: str = "recorded",
    decision: str = "granted",
    in_force: bool | None = None,
    given_at: datetime,
    at: datetime | None = None,
    scope: str = "video_monitoring",
    provider_id: str = "p1",
) -> Envelope:
    """A `bed.consent_<kind>` event as intake publishes it (`in_force`: granted and recorded,
    unless given)."""
    at = at or datetime.now(UTC)
    withdrawn = kind == "withdrawn"
    if in_force is None:
        in_force = decision == "granted" and not withdrawn
    data = ConsentEvent(
        consent_id=consent_id,
        bed_id=bed_id,
        elder_id=f"elder-{bed_id}",
        provider_id=provider_id,
        jurisdiction="330100",
        region_code="330102",
        scope=ConsentScope(scope),
        decision=ConsentDecision(decision),
        given_by=ConsentGiver.ELDER,
        method=ConsentMethod.ELECTRONIC,
        given_at=given_at,
        withdrawn_at=at if withdrawn else None,
        in_force=in_force,
        occurred_at=at,
    )
    return Envelope(
        type=f"bed.consent_{kind}",
        source="svc-intake",
        subject=bed_id,
        time=at,
        data=data.model_dump(mode="json"),
    )


@dataclass
class Iot:
    app: FastAPI
    client: httpx.AsyncClient
    bus: InMemoryBus
    settings: Settings

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def add_bed(
        self, bed_id: str | None = None, provider_id: str = "p1", kind: str = "established"
    ) -> str:
        bed_id = bed_id or f"bed-{uuid.uuid4().hex[:8]}"
        async with self.runtime.uow() as uow:
            await handle_bed_event(uow, bed_envelope(bed_id, provider_id, kind))
            await uow.commit()
        return bed_id

    async def feed(self, envelope: Envelope) -> None:
        """Apply an intake.beds.v1 event the way the consumer runner does (handler, commit)."""
        async with self.runtime.uow() as uow:
            await handle_bed_event(uow, envelope)
            await uow.commit()

    async def add_device(
        self, bed_id: str, device_type: str = "vital_signs_monitor", provider_id: str = "p1"
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/devices",
            json={"bed_id": bed_id, "device_type": device_type, "serial": uuid.uuid4().hex[:12]},
            headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id=provider_id),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def add_worker(self, worker_id: str, provider_id: str = "p1") -> None:
        """Register an active worker of the provider (dispatch needs one)."""
        response = await self.client.put(
            f"/v1/dispatch-workers/{worker_id}",
            json={"display_name": worker_id},
            headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id=provider_id),
        )
        assert response.status_code == 200, response.text

    async def outbox(self, topic: str) -> list[Envelope]:
        """The events staged for `topic`, in outbox order."""
        async with self.runtime.uow() as uow:
            outbox = uow.tables.outbox
            rows = await uow.session.scalars(
                select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
            )
            return [Envelope.model_validate_json(r) for r in rows.all()]

    async def post_readings(self, token: str, readings: list[dict[str, Any]]) -> httpx.Response:
        return await self.client.post(
            "/v1/telemetry",
            json={"readings": readings},
            headers={"Authorization": f"Bearer {token}"},
        )


@asynccontextmanager
async def running_iot(settings: Settings, *, clock: Clock = utc_now) -> AsyncIterator[Iot]:
    app = create_app(settings, clock=clock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        bus = InMemoryBus()
        if not settings.kafka_enabled:
            app.state.telemetry_producer.producer = bus
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://iot") as client:
            yield Iot(app, client, bus, settings)


def now_iso(offset_seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def telemetry_record(
    device: dict[str, Any],
    readings: list[tuple[int, float, str, float]],
    *,
    t0: datetime,
    received_at: datetime | None = None,
    provider_id: str = "p1",
    offset: int = 0,
) -> ConsumerRecord[bytes, bytes]:
    """A telemetry record as the consumer gets it; readings: (seq, seconds after t0, metric,
    value); received `received_at` (default t0)."""
    _, raw = encode_telemetry(
        source="svc-iot-ingest",
        device_id=device["device_id"],
        bed_id=device["bed_id"],
        provider_id=provider_id,
        device_type=device.get("device_type", "vital_signs_monitor"),
        readings=[
            ReadingIn(seq=s, ts=t0 + timedelta(seconds=t), metric=m, value=v)
            for s, t, m, v in readings
        ],
        received_at=received_at or t0,
    )
    return ConsumerRecord(
        topic="iot.telemetry.v1",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=device["bed_id"].encode(),
        value=raw,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(raw),
        headers=(),
    )


async def apply_records(iot: Iot, engine: Any, records: list[Any]) -> None:
    """Feed records to a rule engine (or any `apply`) in one committed transaction."""
    async with iot.runtime.uow() as uow:
        await engine.apply(uow, records)
        await uow.commit()


def kafka_settings(database_url: str, bootstrap: str, name: str, **extra: Any) -> Settings:
    """Settings of an integration test on a real broker, with consumer groups of its own."""
    values: dict[str, Any] = {
        **QUIET_LOOPS,
        "database_url": database_url,
        "kafka_bootstrap": bootstrap,
        "beds_group": f"iot-beds-{name}",
        "rules_group": f"iot-rules-{name}",
        "storage_group": f"iot-storage-{name}",
        "outbox_poll_seconds": 0.05,
        **extra,
    }
    return Settings(**values)


async def wait_kafka_ready(iot: Iot, *, consumers: bool = True) -> None:
    """Connected, the telemetry producer up and (optionally) the telemetry consumers assigned."""
    await asyncio.wait_for(iot.runtime.kafka_connected.wait(), 60)
    await eventually(
        lambda: _value(iot.app.state.telemetry_producer.producer is not None), what="producer"
    )
    if consumers:
        for consumer in iot.app.state.telemetry_consumers:
            await asyncio.wait_for(consumer.assigned.wait(), 60)


async def _value(value: object) -> object:
    return value
