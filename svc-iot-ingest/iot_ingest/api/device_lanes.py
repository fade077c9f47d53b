"""Routes devices call with their own token: telemetry (high rate) and device events (alarms).

These bypass pydantic on purpose: the body is read as bytes and decoded with msgspec.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import msgspec
import orjson
from fastapi import APIRouter, Depends, Request, Response

from chassis.api import UowDep, clock_of
from chassis.problems import problem_responses
from iot_ingest.api.capped_body import request_body
from iot_ingest.api.components import components
from iot_ingest.api.openapi_bodies import msgspec_body
from iot_ingest.api.server_timing import alarm_lane_timing
from iot_ingest.domain.catalogue import DeviceEventKind
from iot_ingest.domain.device_tokens import hash_token, token_from_header
from iot_ingest.service.device_alarms import raise_from_device_event
from iot_ingest.telemetry.auth import DeviceAuth
from iot_ingest.telemetry.codec import TelemetryPost
from iot_ingest.telemetry.lane import BED_NOT_IN_SERVICE, LaneRefusal, outcome_json

router = APIRouter(tags=["device lanes"])


class DeviceEventIn(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /v1/device-events."""

    seq: int
    ts: datetime
    kind: DeviceEventKind


_event_decoder = msgspec.json.Decoder(DeviceEventIn)


async def request_time(request: Request) -> datetime:
    """The request's instant from the runtime's injected clock (device routes have no
    principal, so no `RequestContext`). Async: a plain `def` would run in the thread pool."""
    return clock_of(request)()


NowDep = Annotated[datetime, Depends(request_time)]


def not_in_service(status: str | None) -> dict[str, str]:
    """The notice of an answer about a bed that is not in service (the data was still taken)."""
    return {
        "type": BED_NOT_IN_SERVICE,
        "title": "Bed not in service",
        "detail": f"The bed is {status or 'unknown to the platform'}; the event was recorded "
        "and its alarm raised all the same.",
    }


def _json(status: int, content: object) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


@router.post(
    "/v1/telemetry",
    status_code=202,
    responses=problem_responses(400, 401, 409, 413, 422, 429, 503),
    openapi_extra=msgspec_body(
        TelemetryPost, "readings `{seq, ts, metric, value}` of the device (token in Bearer)"
    ),
)
async def post_telemetry(request: Request) -> Response:
    """A batch of readings; 202 once Kafka has them; refused readings are listed one by one."""
    parts = components(request)
    token = token_from_header(request.headers.get("authorization"))
    device = await parts.lane.authenticate(token)  # 401 before reading a large body
    body = await request_body(request, parts.settings.telemetry_max_body_bytes)
    outcome = await parts.lane.ingest(device, body)
    return _json(202, outcome_json(device, outcome))


@router.post(
    "/v1/device-events",
    status_code=201,
    responses=problem_responses(400, 401, 409, 413, 422),
    openapi_extra=msgspec_body(DeviceEventIn, "one safety event of the device (token in Bearer)"),
)
async def post_device_event(request: Request, uow: UowDep, now: NowDep) -> Response:
    """An alarm event (SOS, fall, smoke, ...): the alarm is raised before we answer."""
    started = time.perf_counter()
    parts = components(request)
    lane = parts.lane
    token = token_from_header(request.headers.get("authorization"))
    if token is None:
        raise lane.unauthorized()
    token_hash = hash_token(token)
    cached = parts.authenticator.cached(token_hash)
    if cached is not None:
        lane.admit(cached.auth)  # 401 / 409 before the body
    body = await request_body(request, 4096)
    try:
        event = _event_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        if cached is None:  # a token not read yet: an unknown device hears 401, not 4xx
            await lane.authenticate(token)
        if isinstance(exc, msgspec.ValidationError):
            raise LaneRefusal(422, "Invalid request", str(exc)) from None
        raise LaneRefusal(400, "Bad request", "The body is not valid JSON.") from None
    parsed = time.perf_counter()

    def admit(found: DeviceAuth | None) -> DeviceAuth:
        # what the transaction read of the token, fresh: cached for the next requests
        parts.authenticator.remember(token_hash, found)
        return lane.admit(found)

    result = await raise_from_device_event(
        uow=uow,
        token_hash=token_hash,
        admit=admit,
        seq=event.seq,
        kind=event.kind,
        device_ts=event.ts,
        now=now,
    )
    raised = time.perf_counter()
    lane.mark_seen(result.device.device_id, now)
    alarm = result.alarm
    answer = _json(
        200 if result.duplicate else 201,
        {
            "alarm_id": alarm.alarm_id,
            "alarm_type": alarm.alarm_type,
            "status": alarm.status.value,
            "count": alarm.count,
            "raised_at": alarm.raised_at.isoformat(),
            "arrival_deadline": alarm.arrival_deadline.isoformat(),
            "duplicate": result.duplicate,
            "bed_status": result.bed_status,
            "bed_in_service": result.bed_in_service,
            "notice": None if result.bed_in_service else not_in_service(result.bed_status),
        },
    )
    if parts.settings.server_timing:
        answer.headers["Server-Timing"] = alarm_lane_timing(
            parse=parsed - started, db=raised - parsed, commit=uow.last_commit
        )
    return answer
