"""`iot.devices.v1` through the chassis's exactly-once apply step: registration confirms a smart
device, a duplicate is skipped, removal withdraws the confirmation, junk goes to the DLQ."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI

from chassis.db import encode_envelope
from chassis.testing.bus import InMemoryBus
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import IOT_DEVICES
from intake.consumers import topic_handlers
from intake.repository import SqlRepository
from intake.tables import ApplicationRow, BedRow, ElderRow

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def a_bed(app: FastAPI) -> str:
    """A bed with its elder and application rows, as approval leaves them."""
    elder = ElderRow(
        id="elder-1",
        id_number_index="i" * 64,
        id_number_sealed="v1.k0.x",
        id_number_key_id="k0",
        id_number_tail="0010",
        name="王",
        sex="male",
        birth_date=date(1940, 1, 1),
        created_at=T0,
    )
    application = ApplicationRow(
        id="app-1",
        elder_id="elder-1",
        jurisdiction="341800",
        region_code="341802",
        provider_id="prov-a",
        status="approved",
        channel="online",
        applicant_sub="f",
        form={},
        reviews=[],
        created_at=T0,
        updated_at=T0,
    )
    bed = BedRow(
        id="bed-1",
        application_id="app-1",
        elder_id="elder-1",
        active_elder_id="elder-1",
        applicant_sub="f",
        provider_id="prov-a",
        jurisdiction="341800",
        region_code="341802",
        status="preparing",
        economic_status="other",
        guidance={},
        inspections=[],
        created_at=T0,
        updated_at=T0,
    )
    async with app.state.runtime.uow() as uow:
        uow.session.add(elder)
        await uow.session.flush()
        uow.session.add(application)
        await uow.session.flush()
        uow.session.add(bed)
        await uow.commit()
    return bed.id


def device_event(
    kind: str, device_id: str, bed_id: str, at: datetime, device_type: str = "fall_detector"
) -> bytes:
    data = {
        "device_id": device_id,
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "device_type": device_type,
        "serial": "SN",
        "occurred_at": at.isoformat(),
    }
    return encode_envelope(
        Envelope(type=f"device.{kind}", source="svc-iot-ingest", subject=device_id, data=data)
    )


async def live_types(app: FastAPI, bed_id: str) -> set[str]:
    async with app.state.runtime.uow() as uow:
        return await SqlRepository(uow.session).live_device_types(bed_id)


async def deliver(bus: InMemoryBus, app: FastAPI) -> dict[str, int]:
    return await bus.deliver(
        handlers=topic_handlers(app.state.runtime.clock),
        uow_factory=app.state.runtime.uow,
        group_id="svc-intake-devices",
    )


async def test_registration_duplicate_removal_and_poison(app: FastAPI) -> None:
    bed_id = await a_bed(app)
    bus = InMemoryBus()
    topic = IOT_DEVICES.name
    registered = device_event("registered", "dev-1", bed_id, T0)
    await bus.send(topic, registered, b"bed-1")
    await bus.send(topic, registered, b"bed-1")  # redelivery of the same event
    await bus.send(topic, device_event("registered", "dev-9", "no-such-bed", T0), b"x")
    await bus.send(topic, device_event("online", "dev-1", bed_id, T0), b"bed-1")
    await bus.send(topic, b"not json", b"bed-1")
    outcomes = await deliver(bus, app)
    assert outcomes == {"applied": 3, "duplicate": 1, "dead_lettered": 1}
    assert await live_types(app, bed_id) == {"fall_detector"}
    assert len(bus.topics[f"{topic}.dlq"]) == 1

    await bus.send(
        topic, device_event("removed", "dev-1", bed_id, T0 + timedelta(hours=1)), b"bed-1"
    )
    await deliver(bus, app)
    assert await live_types(app, bed_id) == set()
    stale = device_event("registered", "dev-1", bed_id, T0 + timedelta(minutes=30))
    await bus.send(topic, stale, b"bed-1")  # older than the removal: ignored
    await deliver(bus, app)
    assert await live_types(app, bed_id) == set()
