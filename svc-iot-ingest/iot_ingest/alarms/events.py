"""An alarm change as an `iot.alarms.v1` event (also the SSE stream's payload)."""

from __future__ import annotations

from chassis.db import encode_envelope
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmChange

SOURCE = "svc-iot-ingest"


def alarm_envelope(alarm: Alarm, change: AlarmChange) -> Envelope:
    payload = AlarmEvent(
        alarm_id=alarm.alarm_id,
        bed_id=alarm.bed_id,
        provider_id=alarm.provider_id,
        alarm_type=alarm.alarm_type,
        severity=alarm.severity,
        status=alarm.status.value,
        count=alarm.count,
        raised_at=alarm.raised_at,
        arrival_deadline=alarm.arrival_deadline,
        device_id=alarm.device_id,
        rule_id=alarm.rule_id,
        actor=change.actor,
        assignee=alarm.assignee,
        outcome=alarm.outcome.value if alarm.outcome else None,
        note=change.text,
        escalation_level=change.escalation_level,
        escalation_target=change.escalation_target,
        sla_breached=alarm.sla_breached,
        detail=alarm.detail,
        occurred_at=change.at,
    )
    return Envelope(
        type=f"alarm.{change.kind.value}",
        source=SOURCE,
        subject=alarm.alarm_id,
        time=change.at,
        data=payload.model_dump(mode="json"),
    )


def envelope_bytes(envelope: Envelope) -> bytes:
    return encode_envelope(envelope)
