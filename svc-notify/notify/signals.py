"""Between notify's processes and instances on PostgreSQL: LISTEN/NOTIFY.

Two channels, each NOTIFY sent inside the writing transaction (PostgreSQL delivers it with the
commit, never without it):
- `homebed_notify_inbox`: these inbox rows (owner and ids) were committed; another instance's
  open streams of those owners read exactly those rows at once instead of at their next poll
  (`STREAM_POLL_SECONDS`, still the fallback: a listener reconnecting, SQLite). The ids, not
  "read after the last id you sent": ids are taken at insert and rows commit in another
  order, so a row of the worker's older transaction can have a lower id than a fall the
  stream already sent;
- `homebed_notify_due`: deliveries wait for the dispatcher (the API process's consumer made
  them, the worker process dispatches): its dispatcher wakes instead of at its next poll.

A payload starts with the writer's instance id: an instance ignores its own inbox notices (its
hub already handed the committed rows to its streams)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from chassis.db import UnitOfWork
from notify.runtime import before_commit

logger = logging.getLogger(__name__)

INBOX_CHANNEL = "homebed_notify_inbox"
DUE_CHANNEL = "homebed_notify_due"
_MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes: more rows go in several notices
_IDS_PER_LINE = 250  # 20 digits a bigint at most: a line stays under the limit
_ROWS = "notify.announced_rows"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")  # built once: a transaction's fixed cost


class InboxRowLike(Protocol):
    @property
    def owner(self) -> str: ...
    @property
    def id(self) -> int | None: ...


def payloads(instance: str, rows: Iterable[tuple[str, int]]) -> list[str]:
    """`instance` then one line per owner: `owner<TAB>id,id,...`, split under the size limit."""
    by_owner: dict[str, list[int]] = {}
    for owner, row_id in rows:
        by_owner.setdefault(owner, []).append(row_id)
    found: list[str] = []
    lines: list[str] = []
    size = len(instance)
    for owner, ids in sorted(by_owner.items()):
        for start in range(0, len(ids), _IDS_PER_LINE):
            chunk = ids[start : start + _IDS_PER_LINE]
            line = f"{owner}\t{','.join(map(str, chunk))}"
            if lines and size + len(line.encode()) + 1 > _MAX_PAYLOAD:
                found.append("\n".join([instance, *lines]))
                lines, size = [], len(instance)
            lines.append(line)
            size += len(line.encode()) + 1
    if lines:
        found.append("\n".join([instance, *lines]))
    return found


def parse(payload: str) -> tuple[str, dict[str, list[int]]]:
    writer, *lines = payload.split("\n")
    announced: dict[str, list[int]] = {}
    for line in lines:
        owner, _, ids = line.partition("\t")
        announced.setdefault(owner, []).extend(int(i) for i in ids.split(",") if i)
    return writer, announced


def on_postgres(uow: UnitOfWork) -> bool:
    return uow.session.get_bind().dialect.name == "postgresql"


def announce_inbox(uow: UnitOfWork, instance: str, rows: Iterable[InboxRowLike]) -> None:
    """Tell the other instances, with this transaction's commit, which inbox rows it wrote
    (ORM rows get their ids at the flush before the notice)."""
    if not on_postgres(uow):
        return
    known: list[InboxRowLike] = uow.session.info.setdefault(_ROWS, [])
    known.extend(rows)

    async def send() -> None:
        written: list[InboxRowLike] = uow.session.info.pop(_ROWS, [])
        if any(row.id is None for row in written):
            await uow.session.flush()
        pairs = [(row.owner, row.id) for row in written if row.id is not None]
        for payload in payloads(instance, pairs):
            await uow.session.execute(_NOTIFY, {"channel": INBOX_CHANNEL, "payload": payload})

    before_commit(uow, INBOX_CHANNEL, send)


def announce_due(uow: UnitOfWork, instance: str) -> None:
    """Wake the dispatchers of every instance (the worker process) with this commit."""
    if not on_postgres(uow):
        return

    async def send() -> None:
        await uow.session.execute(_NOTIFY, {"channel": DUE_CHANNEL, "payload": instance})

    before_commit(uow, DUE_CHANNEL, send)


class Listener:
    """One connection LISTENing on notify's channels; reconnects after a loss (meanwhile the
    polls carry on)."""

    def __init__(
        self,
        *,
        database_url: str,
        instance: str,
        on_inbox: Callable[[dict[str, list[int]]], None] | None,
        on_due: Callable[[], None] | None,
        retry_seconds: float = 2.0,
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self.instance = instance
        self._on_inbox, self._on_due = on_inbox, on_due
        self._retry_seconds = retry_seconds
        self.listening = asyncio.Event()

    async def run_forever(self) -> None:
        while True:
            lost = asyncio.Event()
            connection: asyncpg.Connection[Any] | None = None
            try:
                connection = await asyncpg.connect(self._dsn)
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                if self._on_inbox is not None:
                    await connection.add_listener(INBOX_CHANNEL, self._inbox)
                if self._on_due is not None:
                    await connection.add_listener(DUE_CHANNEL, self._due)
                self.listening.set()
                await lost.wait()
                logger.warning("LISTEN connection lost; reconnecting (the polls carry on)")
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("LISTEN connection failed; retrying", exc_info=True)
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(self._retry_seconds)

    def _inbox(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        writer, announced = parse(payload)
        if writer == self.instance or self._on_inbox is None:
            return  # this instance's own rows: its hub handed them over already
        self._on_inbox(announced)

    def _due(self, _connection: object, _pid: int, _channel: str, _payload: str) -> None:
        if self._on_due is not None:
            self._on_due()
