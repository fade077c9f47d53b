"""A person's in-app inbox: the list with the unread count, marking read, and the SSE feed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import NotFound
from notify.channels.hub import InboxHub
from notify.repository import InboxRepository
from notify.schemas import InboxItem, InboxPage
from notify.tables import InboxRow

KEEPALIVE_SECONDS = 15.0


async def list_inbox(
    *, uow: UnitOfWork, ctx: RequestContext, unread_only: bool, limit: int, offset: int
) -> InboxPage:
    owner = ctx.principal.sub
    async with uow:
        inbox = uow.repo(InboxRepository)
        rows, total = await inbox.page(owner, unread_only=unread_only, limit=limit, offset=offset)
        unread = await inbox.unread(owner)
        return InboxPage(
            items=[inbox_item(r) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
            unread=unread,
        )


async def mark_read(*, uow: UnitOfWork, ctx: RequestContext, item_id: int) -> InboxItem:
    async with uow:
        row = await uow.repo(InboxRepository).get(ctx.principal.sub, item_id)
        if row is None:
            raise NotFound("Inbox item")
        if row.read_at is None:
            row.read_at = ctx.now
        await uow.commit()
        return inbox_item(row)


def inbox_item(row: InboxRow) -> InboxItem:
    return InboxItem(
        id=row.id,
        subject=row.subject,
        title=row.title,
        body=row.body,
        safety=row.safety,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


async def inbox_events(
    *,
    uow_factory: Callable[[], UnitOfWork],
    hub: InboxHub,
    owner: str,
    last_event_id: int | None,
    poll_seconds: float,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """SSE frames `notification` (the item and the unread count) after `last_event_id`; None:
    from now on. Woken by the hub at once; polls too (another instance may have written)."""
    wake = hub.subscribe(owner)
    try:
        if last_event_id is None:
            async with uow_factory() as uow:
                last_event_id = await uow.repo(InboxRepository).last_id(owner)
        yield b"retry: 2000\n\n"
        quiet_since = time.monotonic()
        while not await disconnected():
            wake.clear()
            async with uow_factory() as uow:  # the frames are built before the session ends
                inbox = uow.repo(InboxRepository)
                rows = await inbox.after(owner, last_event_id)
                unread = await inbox.unread(owner) if rows else 0
                frames = [(row.id, inbox_item(row)) for row in rows]
            for item_id, item in frames:
                last_event_id = item_id
                data = item.model_dump(mode="json") | {"unread": unread}
                yield b"id: %d\nevent: notification\ndata: %s\n\n" % (item_id, orjson.dumps(data))
            if frames:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield b": keep-alive\n\n"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)
    finally:
        hub.unsubscribe(owner, wake)
