"""The stream's fallback read in commit order (PostgreSQL): with the listener down, rows of
another process arrive by the stream's read, not by a NOTIFY. Ids are taken at insert and rows
commit in another order: a row whose id is below one the stream already sent, committed after
it, must still reach the open stream — once. (The read used to be "after the last id sent",
which skipped it.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from chassis.clock import ManualClock
from chassis.db import UnitOfWork
from notify.channels.hub import InboxHub
from notify.repository import InboxRepository
from notify.service.inbox import inbox_events
from notify.testing import Notify, notify_settings, running_notify

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

pytestmark = [pytest.mark.postgres]


async def _connected() -> bool:
    return False


async def _write(uow: UnitOfWork, title: str) -> int:
    """Another process's inbox row, in a transaction left open (flushed: its id is taken)."""
    row = uow.repo(InboxRepository).add(
        owner="cg-1", delivery_id=None, subject="al-1", title=title, body="b", safety=True, at=START
    )
    await uow.session.flush()
    return row.id


async def _frame(stream: AsyncIterator[bytes], hub: InboxHub) -> tuple[int, str]:
    hub.publish("cg-1")  # make the stream read now (its poll is 5 minutes)
    sent = await asyncio.wait_for(anext(stream), 10)
    head, _, data = sent.partition(b"data: ")
    return int(head.split(b"\n")[0].removeprefix(b"id: ")), orjson.loads(data)["title"]


async def test_a_row_committed_late_below_a_sent_id_reaches_the_stream_once(
    postgres_url: str,
) -> None:
    settings = notify_settings(postgres_url, listen_notify=False, stream_poll_seconds=300)
    async with running_notify(settings, clock=ManualClock(START)) as notify:
        assert notify.app.state.listener is None  # the listener is down: reads alone carry
        hub: InboxHub = notify.app.state.notify.hub
        stream = inbox_events(
            uow_factory=notify.app.state.runtime.uow,
            hub=hub,
            owner="cg-1",
            last_event_id=None,
            poll_seconds=300,
            disconnected=_connected,
        )
        try:
            assert await anext(stream) == b"retry: 2000\n\n"
            async with _uow(notify) as late, _uow(notify) as early:
                low = await _write(late, "late")  # its id first, its commit last
                high = await _write(early, "early")
                assert low < high
                await early.commit()
                assert await _frame(stream, hub) == (high, "early")
                await late.commit()
            assert await _frame(stream, hub) == (low, "late")  # below the last id sent
            async with _uow(notify) as after:
                newest = await _write(after, "after")
                await after.commit()
            # the next frame is the next row: the late one is not sent a second time
            assert await _frame(stream, hub) == (newest, "after")
        finally:
            await stream.aclose()


def _uow(notify: Notify) -> UnitOfWork:
    uow: UnitOfWork = notify.app.state.runtime.uow()
    return uow
