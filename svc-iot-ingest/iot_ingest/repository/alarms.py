"""Alarm rows <-> domain `Alarm`, its comments, device-event receipts and the SSE feed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, false, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import Insert

from chassis.upsert import dialect_name
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.escalation import EscalationPolicy, next_check_at
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmOutcome, AlarmStatus, Comment
from iot_ingest.tables import alarm_comments, alarm_feed, alarms, device_event_receipts

_COLUMNS = (
    "alarm_id", "bed_id", "provider_id", "alarm_type", "count", "raised_at", "last_raised_at",
    "device_id", "rule_id", "detail", "acknowledged_by", "acknowledged_at", "assignee",
    "dispatched_by", "dispatched_at", "arrived_by", "arrived_at", "resolved_by", "resolved_at",
    "note", "condition_cleared_at", "sla_breached", "region_code", "arrival_lat", "arrival_lon",
    "arrival_distance_m", "close_requested_by", "close_requested_at", "close_confirmed_by",
)  # fmt: skip


# The alarm lane's statements, built once with bound parameters: building one per call (the
# values in the statement) costs SQLAlchemy about as much again as running it (cache keys over
# every value), and a fall runs eleven of them.
_INSERT_ALARM = insert(alarms)
_UPDATE_ALARM = update(alarms).where(alarms.c.alarm_id == bindparam("where_alarm_id"))
_ACTIVE = select(alarms).where(alarms.c.active_key == bindparam("active_key"))
_BY_ID = select(alarms).where(alarms.c.alarm_id == bindparam("alarm_id"))
_RECEIPT = select(device_event_receipts.c.alarm_id).where(
    device_event_receipts.c.device_id == bindparam("device_id"),
    device_event_receipts.c.seq == bindparam("seq"),
)
_INSERT_RECEIPT = insert(device_event_receipts)
_INSERT_FEED = insert(alarm_feed)


ACTIVE_KEY_SEPARATOR = "|"


def active_key(bed_id: str, alarm_type: str) -> str:
    return f"{bed_id}{ACTIVE_KEY_SEPARATOR}{alarm_type}"


def alarm_from_row(row: Any) -> Alarm:
    m = row._mapping
    return Alarm(
        **{name: m[name] for name in _COLUMNS},
        severity=AlarmSeverity(m["severity"]),
        status=AlarmStatus(m["status"]),
        outcome=AlarmOutcome(m["outcome"]) if m["outcome"] else None,
        escalated_levels=list(m["escalated_levels"] or []),
    )


def _values(alarm: Alarm, policy: EscalationPolicy) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(alarm, name) for name in _COLUMNS}
    values.update(
        severity=alarm.severity.value,
        status=alarm.status.value,
        outcome=alarm.outcome.value if alarm.outcome else None,
        escalated_levels=sorted(alarm.escalated_levels),
        arrival_deadline=alarm.arrival_deadline,
        active_key=active_key(alarm.bed_id, alarm.alarm_type) if alarm.is_active else None,
        next_check_at=next_check_at(alarm, policy),
    )
    return values


@dataclass(frozen=True)
class FeedItem:
    id: int
    event_type: str
    payload: bytes


@dataclass(frozen=True)
class AlarmFilter:
    provider_id: str | None
    status: Sequence[str] = ()
    bed_id: str | None = None
    alarm_type: str | None = None
    active_only: bool = False
    sla_breached: bool | None = None
    raised_before: datetime | None = None
    assignee: str | None = None
    region_prefixes: Sequence[str] | None = None  # officers: beds in these regions only
    closed_without_arrival: bool = False


# Statements sending several held INSERTs at once (`AlarmRepository.hold_inserts`), built once
# per shape (which tables, which columns, in which order)
_COMBINED: dict[tuple[tuple[str, tuple[str, ...]], ...], Executable] = {}


def _combined_insert(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> Executable:
    """`WITH w0 AS (INSERT ...), w1 AS (INSERT ...) INSERT ...`: PostgreSQL runs the INSERTs
    of one statement together (one round trip); the n-th row's values are `p<n>_<column>`."""
    key = tuple((table.name, columns) for table, columns in shape)
    found = _COMBINED.get(key)
    if found is None:

        def values(n: int, table: Table, columns: tuple[str, ...]) -> Insert:
            return insert(table).values({c: bindparam(f"p{n}_{c}") for c in columns})

        *first, (last_table, last_columns) = shape
        statement = values(len(first), last_table, last_columns)
        for n, (table, columns) in enumerate(first):
            statement = statement.add_cte(values(n, table, columns).cte(f"w{n}"))
        found = _COMBINED[key] = statement
    return found


class AlarmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._postgres = dialect_name(session) == "postgresql"
        self._held: list[tuple[Table, dict[str, Any]]] | None = None

    def hold_inserts(self) -> None:
        """From now on hold this transaction's new alarm, feed and receipt rows until
        `send_held`, which writes them with one statement: a round trip each was a good part of
        a fall's CPU and latency (issue 16). PostgreSQL only (SQLite writes them at once); the
        rows are written before the commit, in the same transaction, so nothing else changes.
        """
        if self._postgres:
            self._held = []

    async def send_held(self) -> None:
        """Write the held rows (one statement); rows added later are held again."""
        held, self._held = self._held, ([] if self._held is not None else None)
        if not held:
            return
        if len(held) == 1:
            [(table, row)] = held
            await self.session.execute(insert(table), row)
            return
        shape = tuple((table, tuple(row)) for table, row in held)
        params = {f"p{n}_{c}": v for n, (_, row) in enumerate(held) for c, v in row.items()}
        await self.session.execute(_combined_insert(shape), params)

    async def _insert(self, statement: Insert, row: dict[str, Any]) -> None:
        if self._held is not None:
            self._held.append((statement.table, row))  # type: ignore[arg-type]
            return
        await self.session.execute(statement, row)

    def _locked(self, query: Select[Any]) -> Select[Any]:
        # PostgreSQL: row lock so concurrent transitions serialise; SQLite serialises writers
        return query.with_for_update() if self._postgres else query

    async def find_active(self, bed_id: str, alarm_type: str) -> Alarm | None:
        query = self._locked(_ACTIVE)
        key = {"active_key": active_key(bed_id, alarm_type)}
        row = (await self.session.execute(query, key)).first()
        return None if row is None else alarm_from_row(row)

    async def get(self, alarm_id: str, *, lock: bool = False) -> Alarm | None:
        query = self._locked(_BY_ID) if lock else _BY_ID
        row = (await self.session.execute(query, {"alarm_id": alarm_id})).first()
        return None if row is None else alarm_from_row(row)

    async def add(self, alarm: Alarm, policy: EscalationPolicy) -> None:
        await self._insert(_INSERT_ALARM, _values(alarm, policy))

    async def save(self, alarm: Alarm, policy: EscalationPolicy) -> None:
        await self.save_many([(alarm, policy)])

    async def save_many(self, changed: Sequence[tuple[Alarm, EscalationPolicy]]) -> None:
        """Update several alarms with one statement (executemany: asyncpg pipelines it)."""
        rows = []
        for alarm, policy in changed:
            values = _values(alarm, policy)
            values["where_alarm_id"] = values.pop("alarm_id")
            rows.append(values)
        if rows:
            await self.session.execute(_UPDATE_ALARM, rows if len(rows) > 1 else rows[0])

    async def add_comment(self, alarm_id: str, comment: Comment) -> None:
        await self.session.execute(
            insert(alarm_comments).values(
                alarm_id=alarm_id, author=comment.by, at=comment.at, text=comment.text
            )
        )

    async def comments(self, alarm_id: str) -> list[Comment]:
        rows = (
            await self.session.execute(
                select(alarm_comments)
                .where(alarm_comments.c.alarm_id == alarm_id)
                .order_by(alarm_comments.c.id)
            )
        ).all()
        return [Comment(by=r.author, at=r.at, text=r.text) for r in rows]

    async def append_feed(
        self, *, provider_id: str, alarm_id: str, event_type: str, payload: bytes, at: datetime
    ) -> None:
        await self._insert(
            _INSERT_FEED,
            {
                "provider_id": provider_id,
                "alarm_id": alarm_id,
                "event_type": event_type,
                "payload": payload,
                "created_at": at,
            },
        )

    async def append_feed_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Feed rows (`provider_id`, `alarm_id`, `event_type`, `payload`, `created_at`) with one
        statement, whatever `hold_inserts` says (a sweep writes its rows at once)."""
        if rows:
            await self.session.execute(_INSERT_FEED, list(rows))

    async def read_feed(
        self, *, provider_id: str | None, after_id: int, limit: int = 200
    ) -> list[FeedItem]:
        query = select(alarm_feed.c.id, alarm_feed.c.event_type, alarm_feed.c.payload).where(
            alarm_feed.c.id > after_id
        )
        if provider_id is not None:
            query = query.where(alarm_feed.c.provider_id == provider_id)
        rows = (await self.session.execute(query.order_by(alarm_feed.c.id).limit(limit))).all()
        return [FeedItem(int(r.id), r.event_type, bytes(r.payload)) for r in rows]

    async def last_feed_id(self) -> int:
        return int(await self.session.scalar(select(func.max(alarm_feed.c.id))) or 0)

    async def page(self, f: AlarmFilter, *, limit: int, offset: int) -> tuple[list[Alarm], int]:
        """Newest first, `limit` after skipping `offset`, and how many match in all."""
        where: list[Any] = []
        if f.provider_id is not None:
            where.append(alarms.c.provider_id == f.provider_id)
        if f.status:
            where.append(alarms.c.status.in_(list(f.status)))
        if f.bed_id:
            where.append(alarms.c.bed_id == f.bed_id)
        if f.alarm_type:
            where.append(alarms.c.alarm_type == f.alarm_type)
        if f.active_only:
            where.append(alarms.c.active_key.is_not(None))
        if f.sla_breached is not None:
            where.append(alarms.c.sla_breached.is_(f.sla_breached))
        if f.raised_before is not None:
            where.append(alarms.c.raised_at < f.raised_before)
        if f.assignee is not None:
            where.append(alarms.c.assignee == f.assignee)
        if f.region_prefixes is not None:
            where.append(
                or_(false(), *(alarms.c.region_code.startswith(p) for p in f.region_prefixes))
            )
        if f.closed_without_arrival:
            where.append(alarms.c.close_confirmed_by.is_not(None))
        total = await self.session.scalar(select(func.count()).select_from(alarms).where(*where))
        query = (
            select(alarms)
            .where(*where)
            .order_by(alarms.c.raised_at.desc(), alarms.c.alarm_id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self.session.execute(query)).all()
        return [alarm_from_row(r) for r in rows], int(total or 0)

    async def due_for_escalation(
        self, now: datetime, limit: int = 200, exclude: Collection[str] = ()
    ) -> list[Alarm]:
        """Alarms whose next check is due, locked; on PostgreSQL rows locked elsewhere (an
        alarm being repeated right now) are skipped rather than waited for."""
        query = (
            select(alarms)
            .where(alarms.c.next_check_at.is_not(None), alarms.c.next_check_at <= now)
            .order_by(alarms.c.next_check_at)
            .limit(limit)
        )
        if exclude:
            query = query.where(alarms.c.alarm_id.not_in(list(exclude)))
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        return [alarm_from_row(r) for r in (await self.session.execute(query)).all()]

    async def receipt(self, device_id: str, seq: int) -> Alarm | None:
        """The alarm a device event (device, seq) raised before, if it was received."""
        alarm_id = await self.session.scalar(_RECEIPT, {"device_id": device_id, "seq": seq})
        return None if alarm_id is None else await self.get(alarm_id)

    async def add_receipt(self, *, device_id: str, seq: int, alarm_id: str, at: datetime) -> None:
        await self._insert(
            _INSERT_RECEIPT,
            {"device_id": device_id, "seq": seq, "alarm_id": alarm_id, "received_at": at},
        )

    async def active_of_bed(self, bed_id: str, *, raised_until: datetime) -> list[Alarm]:
        """The bed's active alarms raised up to `raised_until`, locked."""
        query = self._locked(
            select(alarms).where(
                alarms.c.bed_id == bed_id,
                alarms.c.active_key.is_not(None),
                alarms.c.raised_at <= raised_until,
            )
        )
        return [alarm_from_row(r) for r in (await self.session.execute(query)).all()]

    async def active_of_other_provider(self, bed_id: str, provider_id: str) -> list[Alarm]:
        """The bed's active alarms another provider than `provider_id` holds, locked (the bed
        moved to `provider_id`: they are handed over)."""
        query = self._locked(
            select(alarms).where(
                alarms.c.bed_id == bed_id,
                alarms.c.active_key.is_not(None),
                alarms.c.provider_id != provider_id,
            )
        )
        return [alarm_from_row(r) for r in (await self.session.execute(query)).all()]
