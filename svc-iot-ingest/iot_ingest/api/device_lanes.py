"""Routes devices call with their own token: telemetry (high rate) and device events (alarms).

These bypass pydantic on purpose: the body is read as bytes and decoded with msgspec.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import orjson
from fastapi import APIRouter, Request, Response

from chassis.api import UowDep
from iot_ingest.alarms.device_events import raise_from_device_event
from iot_ingest.api.components import components
from iot_ingest.registry.tokens import token_from_header
from iot_ingest.telemetry.lane import LaneRefusal, refusals_json

router = APIRouter(tags=["device lanes"])


class DeviceEventIn(msgspec.Struct, forbid_unknown_fields=True):
    seq: int
    ts: datetime
    kind: str


_event_decoder = msgspec.json.Decoder(DeviceEventIn)


async def read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise LaneRefusal(413, "Payload too large", f"The body may be at most {cap} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise LaneRefusal(413, "Payload too large", f"The body may be at most {cap} bytes.")
    return bytes(body)


def _json(status: int, content: object) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


@router.post("/v1/telemetry", status_code=202)
async def post_telemetry(request: Request) -> Response:
    """A batch of readings; 202 once Kafka has them; refused readings are listed one by one."""
    parts = components(request)
    token = token_from_header(request.headers.get("authorization"))
    device = await parts.lane.authenticate(token)  # 401 before reading a large body
    body = await read_capped(request, parts.settings.telemetry_max_body_bytes)
    outcome = await parts.lane.ingest(device, body)
    return _json(
        202,
        {
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "refused": refusals_json(outcome.refused),
        },
    )


@router.post("/v1/device-events", status_code=201)
async def post_device_event(request: Request, uow: UowDep) -> Response:
    """An alarm event (SOS, fall, smoke, ...): the alarm is raised before we answer."""
    parts = components(request)
    device = await parts.lane.authenticate(token_from_header(request.headers.get("authorization")))
    body = await read_capped(request, 4096)
    try:
        event = _event_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise LaneRefusal(422, "Invalid request", str(exc)) from None
    except msgspec.DecodeError:
        raise LaneRefusal(400, "Bad request", "The body is not valid JSON.") from None
    now = datetime.now(UTC)
    result = await raise_from_device_event(
        uow=uow, device=device, seq=event.seq, kind=event.kind, device_ts=event.ts, now=now
    )
    parts.lane.mark_seen(device.device_id, now)
    alarm = result.alarm
    return _json(
        200 if result.duplicate else 201,
        {
            "alarm_id": alarm.alarm_id,
            "alarm_type": alarm.alarm_type,
            "status": alarm.status.value,
            "count": alarm.count,
            "raised_at": alarm.raised_at.isoformat(),
            "arrival_deadline": alarm.arrival_deadline.isoformat(),
            "duplicate": result.duplicate,
        },
    )
