"""A person's in-app inbox: the list with the unread count, marking read, and the SSE feed."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import NotFound
from notify.channels.hub import InboxHub, PushedItem
from notify.repository import InboxRepository
from notify.schemas import InboxItem, InboxPage
from notify.tables import InboxRow

KEEPALIVE_SECONDS = 15.0
# the unread count shown with pushed frames is counted by the stream; recounted this often
# (a message read in another window lowers it)
UNREAD_RECOUNT_SECONDS = 5.0


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
    from now on. Rows committed in this instance arrive through the hub as they were written
    (no read), another instance's by id when it announces them (NOTIFY); the inbox is read at
    the start, when the hub asks for it, and every `poll_seconds` (the fallback: the listener
    was down, or SQLite) — on PostgreSQL in commit order (`_Unread`), so a row committed late
    below an id already sent still reaches the stream, once."""
    subscription = hub.subscribe(owner)
    sent = _Sent()
    try:
        async with uow_factory() as uow:
            inbox = uow.repo(InboxRepository)
            snapshot = await inbox.snapshot()  # before the last id: nothing falls in between
            if last_event_id is None:
                last_event_id = await inbox.last_id(owner)
            unread = await inbox.unread(owner)
        floor = last_event_id  # rows up to here were read before (or are older than) this stream
        reader = _Unread(owner, floor, snapshot)
        counted_at = read_at = time.monotonic()
        yield b"retry: 2000\n\n"
        quiet_since = time.monotonic()
        read_inbox = True
        while not await disconnected():
            if time.monotonic() - read_at >= poll_seconds:
                read_inbox = True  # even on a busy stream: another instance may have written
            pushed, asked = subscription.take()
            announced = {i for i in subscription.take_announced() if i > floor and i not in sent}
            items = [_pushed_frame(p) for p in pushed if p.id > floor and p.id not in sent]
            recount = time.monotonic() - counted_at > UNREAD_RECOUNT_SECONDS
            if read_inbox or asked or announced or recount:
                async with uow_factory() as uow:  # the frames are built before the session ends
                    inbox = uow.repo(InboxRepository)
                    if announced:  # another process's rows: by id (they may be below the last)
                        rows = await inbox.with_ids(owner, announced)
                        items += [_row_frame(r) for r in rows if r.id not in sent]
                    more = False
                    if read_inbox or asked:
                        rows, more = await reader.read(inbox, last_sent_id=last_event_id, sent=sent)
                        items += [_row_frame(r) for r in rows if r.id not in sent]
                        read_at = time.monotonic()
                    items = list({i["id"]: i for i in items}.values())  # pushed and read
                    unread = await inbox.unread(owner) - len(items)
                counted_at = time.monotonic()
                read_inbox = more  # a page of a long catch-up: the next one at once
            else:
                read_inbox = False
            for item in sorted(items, key=_by_id):
                item_id = item["id"]
                if item_id in sent:
                    continue
                sent.add(item_id)
                last_event_id = max(last_event_id, item_id)
                unread += 0 if item["read"] else 1
                item["unread"] = unread
                data = orjson.dumps(item, option=orjson.OPT_UTC_Z)
                yield b"id: %d\nevent: notification\ndata: %s\n\n" % (item_id, data)
            if items or read_inbox:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield b": keep-alive\n\n"
            try:
                await asyncio.wait_for(subscription.wake.wait(), poll_seconds)
            except TimeoutError:
                read_inbox = True  # quiet for a while: another instance may have written
    finally:
        hub.unsubscribe(subscription)


class _Unread:
    """What a stream's inbox read brings: the rows it may not have seen.

    On PostgreSQL in commit order: the rows committed since the previous read's snapshot
    (`InboxRepository.committed_since`), whatever their id, so a row whose transaction took its
    id before a row already sent but committed after it is read, once (`_Sent` drops what came
    twice). The first read also brings the rows after `floor` already committed at the start
    (a Last-Event-ID resume). A long read comes in pages: the next snapshot counts only once
    every page of the previous one was read. On SQLite ids commit in order: after the last id.
    """

    PAGE = 100

    def __init__(self, owner: str, floor: int, snapshot: str | None) -> None:
        self.owner = owner
        self.snapshot = snapshot  # PostgreSQL: the rows committed before it were read
        self.backlog: int | None = floor  # the first read: rows after the floor, then done
        self.taken: str | None = None  # the snapshot of a read still in pages
        self.cursor = 0  # the id the current pages start after

    async def read(
        self, inbox: InboxRepository, *, last_sent_id: int, sent: _Sent
    ) -> tuple[list[InboxRow], bool]:
        """The rows not sent yet, and whether more pages are waiting."""
        if self.snapshot is None:
            rows = await inbox.after(self.owner, last_sent_id, limit=self.PAGE)
            return rows, len(rows) == self.PAGE
        found: list[InboxRow] = []
        if self.backlog is not None:
            found = await inbox.after(self.owner, self.backlog, limit=self.PAGE)
            if len(found) == self.PAGE:
                self.backlog = found[-1].id
                return found, True
            self.backlog = None  # then the rows committed since the start
        if self.taken is None:
            self.taken = await inbox.snapshot()
        ids = await inbox.committed_since(
            self.owner, self.snapshot, after_id=self.cursor, limit=self.PAGE
        )
        # mostly rows the stream sent already (pushed from this instance): read only the others
        unsent = {i for i in ids if i not in sent}
        rows = found + (await inbox.with_ids(self.owner, unsent) if unsent else [])
        if len(ids) == self.PAGE:
            self.cursor = ids[-1]
            return rows, True
        self.snapshot, self.taken, self.cursor = self.taken, None, 0
        return rows, False


class _Sent:
    """The ids a stream sent lately (a row may come both pushed and read): bounded."""

    def __init__(self, keep: int = 4096) -> None:
        self._ids: set[int] = set()
        self._order: deque[int] = deque()
        self._keep = keep

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._ids

    def add(self, item_id: int) -> None:
        self._ids.add(item_id)
        self._order.append(item_id)
        if len(self._order) > self._keep:
            self._ids.discard(self._order.popleft())


# A frame's data: `InboxItem`'s fields (its JSON, datetimes in UTC with Z, as pydantic writes
# them) and `unread`, built as a dict: a pydantic model per frame cost more CPU than the rest
# of the stream's work for a fall (bench/notify_fall_cpu.py).
Frame = dict[str, Any]


def _pushed_frame(item: PushedItem) -> Frame:
    return {
        "id": item.id,
        "subject": item.subject,
        "title": item.title,
        "body": item.body,
        "safety": item.safety,
        "created_at": item.created_at,
        "read": False,
    }


def _row_frame(row: InboxRow) -> Frame:
    return {
        "id": row.id,
        "subject": row.subject,
        "title": row.title,
        "body": row.body,
        "safety": row.safety,
        "created_at": row.created_at,
        "read": row.read_at is not None,
    }


def _by_id(frame: Frame) -> int:
    found: int = frame["id"]
    return found
