"""Alarm rows <-> domain `Alarm`, the comments and the feed the SSE stream reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update

from chassis.db import UnitOfWork
from chassis.upsert import dialect_name
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.escalation import EscalationPolicy, next_check_at
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmOutcome, AlarmStatus, Comment
from iot_ingest.tables import alarm_comments, alarm_feed, alarms

_COLUMNS = (
    "alarm_id", "bed_id", "provider_id", "alarm_type", "count", "raised_at", "last_raised_at",
    "device_id", "rule_id", "detail", "acknowledged_by", "acknowledged_at", "assignee",
    "dispatched_by", "dispatched_at", "arrived_by", "arrived_at", "resolved_by", "resolved_at",
    "note", "condition_cleared_at", "sla_breached",
)  # fmt: skip


def active_key(bed_id: str, alarm_type: str) -> str:
    return f"{bed_id}|{alarm_type}"


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


def _locked(query: Select[Any], uow: UnitOfWork) -> Select[Any]:
    # PostgreSQL: row lock so concurrent transitions serialise; SQLite serialises writers anyway
    if dialect_name(uow) == "postgresql":
        return query.with_for_update()
    return query


async def find_active(uow: UnitOfWork, bed_id: str, alarm_type: str) -> Alarm | None:
    query = _locked(
        select(alarms).where(alarms.c.active_key == active_key(bed_id, alarm_type)), uow
    )
    row = (await uow.session.execute(query)).first()
    return None if row is None else alarm_from_row(row)


async def get_alarm(uow: UnitOfWork, alarm_id: str, *, lock: bool = False) -> Alarm | None:
    query = select(alarms).where(alarms.c.alarm_id == alarm_id)
    if lock:
        query = _locked(query, uow)
    row = (await uow.session.execute(query)).first()
    return None if row is None else alarm_from_row(row)


async def insert_alarm(uow: UnitOfWork, alarm: Alarm, policy: EscalationPolicy) -> None:
    await uow.session.execute(insert(alarms).values(**_values(alarm, policy)))


async def update_alarm(uow: UnitOfWork, alarm: Alarm, policy: EscalationPolicy) -> None:
    values = _values(alarm, policy)
    values.pop("alarm_id")
    await uow.session.execute(
        update(alarms).where(alarms.c.alarm_id == alarm.alarm_id).values(**values)
    )


async def insert_comment(uow: UnitOfWork, alarm_id: str, comment: Comment) -> None:
    await uow.session.execute(
        insert(alarm_comments).values(
            alarm_id=alarm_id, author=comment.by, at=comment.at, text=comment.text
        )
    )


async def load_comments(uow: UnitOfWork, alarm_id: str) -> list[Comment]:
    rows = (
        await uow.session.execute(
            select(alarm_comments)
            .where(alarm_comments.c.alarm_id == alarm_id)
            .order_by(alarm_comments.c.id)
        )
    ).all()
    return [Comment(by=r.author, at=r.at, text=r.text) for r in rows]


async def append_feed(
    uow: UnitOfWork,
    *,
    provider_id: str,
    alarm_id: str,
    event_type: str,
    payload: bytes,
    at: datetime,
) -> None:
    await uow.session.execute(
        insert(alarm_feed).values(
            provider_id=provider_id,
            alarm_id=alarm_id,
            event_type=event_type,
            payload=payload,
            created_at=at,
        )
    )


@dataclass(frozen=True)
class FeedItem:
    id: int
    event_type: str
    payload: bytes


async def read_feed(
    uow: UnitOfWork, *, scope: str | None, after_id: int, limit: int = 200
) -> list[FeedItem]:
    query = select(alarm_feed.c.id, alarm_feed.c.event_type, alarm_feed.c.payload).where(
        alarm_feed.c.id > after_id
    )
    if scope is not None:
        query = query.where(alarm_feed.c.provider_id == scope)
    rows = (await uow.session.execute(query.order_by(alarm_feed.c.id).limit(limit))).all()
    return [FeedItem(int(r.id), r.event_type, bytes(r.payload)) for r in rows]


async def last_feed_id(uow: UnitOfWork) -> int:
    from sqlalchemy import func

    return int(await uow.session.scalar(select(func.max(alarm_feed.c.id))) or 0)


@dataclass(frozen=True)
class AlarmFilter:
    scope: str | None
    status: Sequence[str] = ()
    bed_id: str | None = None
    alarm_type: str | None = None
    active_only: bool = False
    sla_breached: bool | None = None
    limit: int = 50
    raised_before: datetime | None = None


async def list_alarms(uow: UnitOfWork, f: AlarmFilter) -> list[Alarm]:
    query = select(alarms)
    if f.scope is not None:
        query = query.where(alarms.c.provider_id == f.scope)
    if f.status:
        query = query.where(alarms.c.status.in_(list(f.status)))
    if f.bed_id:
        query = query.where(alarms.c.bed_id == f.bed_id)
    if f.alarm_type:
        query = query.where(alarms.c.alarm_type == f.alarm_type)
    if f.active_only:
        query = query.where(alarms.c.active_key.is_not(None))
    if f.sla_breached is not None:
        query = query.where(alarms.c.sla_breached.is_(f.sla_breached))
    if f.raised_before is not None:
        query = query.where(alarms.c.raised_at < f.raised_before)
    query = query.order_by(alarms.c.raised_at.desc(), alarms.c.alarm_id).limit(f.limit)
    return [alarm_from_row(r) for r in (await uow.session.execute(query)).all()]


async def due_for_escalation(
    uow: UnitOfWork, now: datetime, limit: int = 200, exclude: Collection[str] = ()
) -> list[Alarm]:
    """Alarms whose next check is due, locked; on PostgreSQL rows locked elsewhere (an alarm
    being repeated right now) are skipped rather than waited for."""
    query = (
        select(alarms)
        .where(alarms.c.next_check_at.is_not(None), alarms.c.next_check_at <= now)
        .order_by(alarms.c.next_check_at)
        .limit(limit)
    )
    if exclude:
        query = query.where(alarms.c.alarm_id.not_in(list(exclude)))
    if dialect_name(uow) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [alarm_from_row(r) for r in (await uow.session.execute(query)).all()]
