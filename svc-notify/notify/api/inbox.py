"""The person's in-app inbox (list, unread count, read) and the SSE streams: the person's own
and the provider's monitoring centre. Streams are named adapters (long-lived responses)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from chassis.api import ContextDep, PageDep, PrincipalDep, UowDep
from chassis.problems import problem_responses
from notify.channels.base import centre_owner
from notify.components import components
from notify.schemas import InboxItem, InboxPage
from notify.service import inbox
from notify.service.access import staff_provider

router = APIRouter(tags=["inbox"])
SSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}
}


@router.get("/v1/inbox", responses=problem_responses(401, 422))
async def list_inbox(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    unread: Annotated[bool, Query(description="only unread messages")] = False,
) -> InboxPage:
    return await inbox.list_inbox(
        uow=uow, ctx=ctx, unread_only=unread, limit=page.limit, offset=page.offset
    )


@router.post("/v1/inbox/{item_id}/read", responses=problem_responses(401, 404, 422))
async def mark_read(
    item_id: Annotated[int, Path(ge=1, le=2**62)], uow: UowDep, ctx: ContextDep
) -> InboxItem:
    return await inbox.mark_read(uow=uow, ctx=ctx, item_id=item_id)


@router.get(
    "/v1/inbox/stream",
    response_class=StreamingResponse,
    responses={**SSE, **problem_responses(401)},
)
async def stream_inbox(request: Request, principal: PrincipalDep) -> StreamingResponse:
    """The person's notifications as they arrive (`event: notification`, with `unread`);
    `Last-Event-ID` resumes after a reconnect."""
    return _stream(request, owner=principal.sub)


@router.get(
    "/v1/monitoring-centre/stream",
    response_class=StreamingResponse,
    responses={**SSE, **problem_responses(401, 403)},
)
async def stream_monitoring_centre(request: Request, principal: PrincipalDep) -> StreamingResponse:
    """The provider's monitoring-centre screen: every alarm notification of the provider."""
    return _stream(request, owner=centre_owner(staff_provider(principal)))


def _stream(request: Request, *, owner: str) -> StreamingResponse:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    last = int(raw) if raw and raw.strip().isdigit() else None
    parts = components(request)
    events = inbox.inbox_events(
        uow_factory=request.app.state.uow_factory,
        hub=parts.hub,
        owner=owner,
        last_event_id=last,
        poll_seconds=parts.settings.stream_poll_seconds,
        disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
