"""Report batches and their delivery: states, the T+1 schedule, deadlines and backoff.

One original batch per provider and day, plus correction batches that reference an original.
Status: pending (not yet tried), sent (the platform took it but has not acknowledged), failed (the
last attempt failed; retried with backoff, never given up), acknowledged; `late` is how an
unacknowledged batch reads once 24:00 of T+1 (Asia/Shanghai) has passed (000 §三(二) "T+1").
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUSH_AT = time(1, 0)  # 01:00 Asia/Shanghai of T+1
BATCH_NAMESPACE = uuid.UUID("6f1c2b1e-9d7a-4b43-9a51-0c3a5e1f7d20")


class BatchStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"


class BatchKind(StrEnum):
    ORIGINAL = "original"
    CORRECTION = "correction"


OPEN_STATUSES = (BatchStatus.PENDING, BatchStatus.SENT, BatchStatus.FAILED)


def original_batch_id(provider_id: str, day: date) -> str:
    """Deterministic: every replica and every re-run names the same original batch."""
    return str(uuid.uuid5(BATCH_NAMESPACE, f"{provider_id}|{day.isoformat()}|original"))


def latest_due_day(now: datetime, push_at: time = PUSH_AT) -> date:
    """The last report day that is due at `now`: yesterday once 01:00 has passed, else the day before."""
    local = now.astimezone(SHANGHAI)
    return local.date() - timedelta(days=1 if local.time() >= push_at else 2)


def deadline(day: date) -> datetime:
    """24:00 of T+1, Asia/Shanghai."""
    return datetime.combine(day + timedelta(days=2), time(), SHANGHAI)


def displayed_status(status: str, day: date, now: datetime) -> str:
    if status != BatchStatus.ACKNOWLEDGED and now >= deadline(day):
        return "late"
    return status


def on_time(day: date, acknowledged_at: datetime | None) -> bool:
    return acknowledged_at is not None and acknowledged_at < deadline(day)


def backoff(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff after the n-th failed attempt, capped."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def due_days(first: date, last: date, *, backfill_days: int) -> list[date]:
    start = max(first, last - timedelta(days=backfill_days - 1))
    return [start + timedelta(days=n) for n in range((last - start).days + 1)]
