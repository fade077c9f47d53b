"""GET /v1/alarms/stream: Server-Sent Events of alarm changes, resumable with Last-Event-ID.

The feed table is the source (its id is the event id), so any instance can serve any client and
a reconnecting phone gets exactly what it missed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from chassis.api import PrincipalDep
from chassis.db import UnitOfWork
from chassis.problems import problem_responses
from iot_ingest.api.components import components
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.service.access import provider_scope

router = APIRouter(tags=["alarms"])
KEEPALIVE_SECONDS = 15.0


async def alarm_events(
    *,
    uow_factory: Callable[[], UnitOfWork],
    scope: str | None,
    last_event_id: int | None,
    poll_seconds: float,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """SSE frames for the scope, after `last_event_id` (None: only what happens from now on)."""
    if last_event_id is None:
        async with uow_factory() as uow:
            last_event_id = await uow.repo(AlarmRepository).last_feed_id()
    yield b"retry: 2000\n\n"
    quiet_since = time.monotonic()
    while not await disconnected():
        async with uow_factory() as uow:
            items = await uow.repo(AlarmRepository).read_feed(
                provider_id=scope, after_id=last_event_id
            )
        for item in items:
            last_event_id = item.id
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (
                item.id,
                item.event_type.encode(),
                item.payload,
            )
        if items:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield b": keep-alive\n\n"
        await asyncio.sleep(poll_seconds)


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@router.get("/v1/alarms/stream", responses=problem_responses(401, 403))
async def stream_alarms(request: Request, principal: PrincipalDep) -> StreamingResponse:
    scope = provider_scope(principal)
    last_event_id = parse_last_event_id(
        request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    )
    events = alarm_events(
        uow_factory=request.app.state.uow_factory,
        scope=scope,
        last_event_id=last_event_id,
        poll_seconds=components(request).settings.stream_poll_seconds,
        disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
