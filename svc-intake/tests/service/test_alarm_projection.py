"""`iot.alarms.v1` through the chassis's exactly-once apply step: the bed alarm projection follows
an alarm's lifecycle (raised, dispatched, reassigned, resolved), skips duplicates and the events
that change nothing, and sends junk to the DLQ (issue 10 item 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from chassis.db import encode_envelope
from chassis.testing.bus import InMemoryBus
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import IOT_ALARMS
from intake.consumers import topic_handlers
from intake.repository_alarms import BedAlarmRepository

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def alarm_event(
    kind: str, status: str, *, minutes: float, assignee: str | None = None, alarm_id: str = "a1"
) -> bytes:
    data: dict[str, Any] = {
        "alarm_id": alarm_id,
        "bed_id": "bed-1",
        "provider_id": "prov-a",
        "alarm_type": "sos_pressed",
        "severity": "critical",
        "status": status,
        "count": 1,
        "raised_at": T0.isoformat(),
        "arrival_deadline": (T0 + timedelta(minutes=15)).isoformat(),
        "assignee": assignee,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    return encode_envelope(
        Envelope(type=f"alarm.{kind}", source="svc-iot-ingest", subject=alarm_id, data=data)
    )


async def deliver(bus: InMemoryBus, app: FastAPI) -> dict[str, int]:
    return await bus.deliver(
        handlers=topic_handlers(app.state.runtime.clock),
        uow_factory=app.state.runtime.uow,
        group_id="svc-intake-devices",
    )


async def open_assignees(app: FastAPI) -> list[tuple[str, str | None]]:
    async with app.state.runtime.uow() as uow:
        alarms = await uow.repo(BedAlarmRepository).open_of_bed("bed-1")
        return sorted((a.alarm_id, a.assignee) for a in alarms)


async def test_the_projection_follows_the_alarm_lifecycle(app: FastAPI) -> None:
    bus, topic = InMemoryBus(), IOT_ALARMS.name
    await bus.send(topic, alarm_event("raised", "raised", minutes=0), b"bed-1")
    await bus.send(topic, alarm_event("repeated", "raised", minutes=0.5), b"bed-1")
    await bus.send(topic, alarm_event("acknowledged", "acknowledged", minutes=1), b"bed-1")
    dispatched = alarm_event("dispatched", "dispatched", minutes=2, assignee="carer-1")
    await bus.send(topic, dispatched, b"bed-1")
    await bus.send(topic, dispatched, b"bed-1")  # redelivered
    await bus.send(topic, b"not json", b"bed-1")
    assert await deliver(bus, app) == {"applied": 4, "duplicate": 1, "dead_lettered": 1}
    assert await open_assignees(app) == [("a1", "carer-1")]
    assert len(bus.topics[f"{topic}.dlq"]) == 1

    # reassigned, then an escalation dated at its due time arrives: carer-2 stays the assignee
    await bus.send(
        topic, alarm_event("dispatched", "dispatched", minutes=8, assignee="carer-2"), b"bed-1"
    )
    await bus.send(
        topic, alarm_event("escalated", "dispatched", minutes=2, assignee="carer-1"), b"bed-1"
    )
    await deliver(bus, app)
    assert await open_assignees(app) == [("a1", "carer-2")]

    await bus.send(
        topic, alarm_event("arrived", "arrived", minutes=12, assignee="carer-2"), b"bed-1"
    )
    await bus.send(
        topic, alarm_event("resolved", "resolved", minutes=30, assignee="carer-2"), b"bed-1"
    )
    await deliver(bus, app)
    assert await open_assignees(app) == []
    # a late arrival of an older event never reopens it
    await bus.send(
        topic, alarm_event("arrived", "arrived", minutes=12.5, assignee="carer-2"), b"bed-1"
    )
    await deliver(bus, app)
    assert await open_assignees(app) == []
