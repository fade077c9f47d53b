"""One writer at a time on SQLite, inside this process, alarms first.

SQLite allows a single writer; concurrent write transactions make it fall back to its busy
handler, which sleeps in growing steps: an alarm could wait seconds behind a telemetry batch.
Writers queue on this lock instead, and the alarm lane's transactions (`urgent=True`) go ahead
of the telemetry consumers' batches, so an alarm waits at most for the transaction in progress.
PostgreSQL needs none of this.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chassis.db import UnitOfWork
from chassis.upsert import dialect_name


class PriorityLock:
    def __init__(self) -> None:
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool) -> None:
        if not self._locked:
            self._locked = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # ownership was handed over just as we were cancelled
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # ownership passes straight to the waiter
                    return
        self._locked = False


_SQLITE_WRITER = PriorityLock()


@asynccontextmanager
async def serialized_writes(uow: UnitOfWork, *, urgent: bool = False) -> AsyncIterator[None]:
    """Use inside `async with uow:` before the first statement; `urgent` for the alarm lane."""
    if dialect_name(uow) != "sqlite":
        yield
        return
    await _SQLITE_WRITER.acquire(urgent=urgent)
    try:
        yield
    finally:
        _SQLITE_WRITER.release()
