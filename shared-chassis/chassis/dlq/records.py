"""Dead-lettered records and the pure rules of a replay: select, plan, format (no Kafka here).

`ConsumerRunner._dead_letter` (chassis.kafka.consumer) parks a message in `<topic>.dlq` with the
original key, the original value (the envelope bytes) and the original headers, followed by the
headers in `DLQ_HEADERS`. A replay puts the same key and the same value back on the original
topic, without those headers, plus `x-replayed-from: <dlq topic>:<partition>:<offset>`. The event
id is unchanged, so the consumers' `processed_events` dedupe applies it at most once per group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

from homebed_schemas.topics import dlq_topic

DLQ_SUFFIX = ".dlq"
REPLAYED_FROM_HEADER = "x-replayed-from"
# Every header ConsumerRunner._dead_letter appends; none of them belongs on a replayed record.
DLQ_HEADERS = frozenset(
    {
        "x-error",
        "x-error-type",
        "x-attempts",
        "x-original-topic",
        "x-original-partition",
        "x-original-offset",
        "x-consumer-group",
        "x-failed-at",
    }
)

Headers = tuple[tuple[str, bytes], ...]


def topics_for(topic: str) -> tuple[str, str]:
    """(original topic, DLQ topic) from either name: `a.b.v1` or `a.b.v1.dlq`."""
    original = topic.removesuffix(DLQ_SUFFIX)
    if not original:
        raise ValueError(f"not a topic name: {topic!r}")
    return original, dlq_topic(original)


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class DlqRecord:
    """One record read from a DLQ topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    def header(self, name: str) -> str | None:
        """The last value of a header, as text (the runner appends its headers last)."""
        for key, value in reversed(self.headers):
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None

    @cached_property
    def envelope(self) -> dict[str, Any] | None:
        """The decoded JSON envelope, or None when the value is not a JSON object."""
        if self.value is None:
            return None
        try:
            decoded = orjson.loads(self.value)
        except orjson.JSONDecodeError:
            return None
        return decoded if isinstance(decoded, dict) else None

    @property
    def event_id(self) -> str | None:
        envelope = self.envelope
        if envelope is not None and isinstance(envelope.get("id"), str):
            return str(envelope["id"])
        return self.header("event_id")

    @property
    def event_type(self) -> str | None:
        envelope = self.envelope
        if envelope is not None and isinstance(envelope.get("type"), str):
            return str(envelope["type"])
        return self.header("event_type")

    @property
    def failed_at(self) -> datetime:
        """When it was dead-lettered: `x-failed-at`, else the DLQ record's timestamp."""
        text = self.header("x-failed-at")
        if text:
            try:
                return parse_time(text)
            except ValueError:
                pass
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    @property
    def error_type(self) -> str | None:
        return self.header("x-error-type")

    @property
    def error(self) -> str | None:
        return self.header("x-error")


@dataclass(frozen=True)
class Selection:
    """Which DLQ records a command acts on; every criterion given must hold."""

    since: datetime | None = None
    event_id: str | None = None
    partition: int | None = None
    offset: int | None = None

    def matches(self, record: DlqRecord) -> bool:
        if self.since is not None and record.failed_at < self.since:
            return False
        if self.event_id is not None and record.event_id != self.event_id:
            return False
        if self.partition is not None and record.partition != self.partition:
            return False
        return self.offset is None or record.offset == self.offset


def select_records(records: Iterable[DlqRecord], selection: Selection) -> list[DlqRecord]:
    """The matching records, by partition then offset."""
    return sorted(
        (r for r in records if selection.matches(r)), key=lambda r: (r.partition, r.offset)
    )


@dataclass(frozen=True)
class ReplayMessage:
    """What is sent back to the original topic for one DLQ record."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    source: DlqRecord


@dataclass(frozen=True)
class Skipped:
    record: DlqRecord
    reason: str


@dataclass(frozen=True)
class ReplayPlan:
    messages: tuple[ReplayMessage, ...]
    skipped: tuple[Skipped, ...]


def replay_headers(record: DlqRecord) -> Headers:
    """The original headers: the runner's DLQ headers and any older `x-replayed-from` dropped."""
    kept = tuple(
        (name, value)
        for name, value in record.headers
        if name not in DLQ_HEADERS
        and not name.startswith("x-error")
        and name != REPLAYED_FROM_HEADER
    )
    return (*kept, (REPLAYED_FROM_HEADER, record.ref.encode()))


def build_replay(record: DlqRecord, *, original_topic: str) -> ReplayMessage | Skipped:
    """The record to republish, or why this DLQ record cannot be replayed."""
    if record.value is None:
        return Skipped(record, "no value")
    if record.envelope is None or record.event_id is None:
        # Without an event id the consumers cannot dedupe it, and it would only be parked again.
        return Skipped(record, "not a decodable envelope with an id")
    parked_from = record.header("x-original-topic")
    if parked_from is not None and parked_from != original_topic:
        return Skipped(record, f"dead-lettered from {parked_from}, not {original_topic}")
    return ReplayMessage(
        topic=original_topic,
        key=record.key,
        value=record.value,
        headers=replay_headers(record),
        source=record,
    )


def plan_replay(records: Sequence[DlqRecord], *, original_topic: str) -> ReplayPlan:
    """One message per event id (the first DLQ record of it); the rest are skipped.

    The same event is parked once per consumer group that failed on it, and again after a
    replay that failed: publishing it once reaches every group.
    """
    messages: list[ReplayMessage] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for record in records:
        outcome = build_replay(record, original_topic=original_topic)
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
            continue
        event_id = record.event_id
        assert event_id is not None  # build_replay checked it
        if event_id in seen:
            skipped.append(Skipped(record, f"event already replayed from {seen[event_id]}"))
            continue
        seen[event_id] = record.ref
        messages.append(outcome)
    return ReplayPlan(messages=tuple(messages), skipped=tuple(skipped))


def _one_line(text: str | None, limit: int) -> str:
    if not text:
        return "-"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_list_line(record: DlqRecord) -> str:
    error = record.error_type or "-"
    if record.error:
        error = f"{error}: {_one_line(record.error, 200)}"
    return (
        f"offset={record.offset} partition={record.partition} "
        f"event_id={record.event_id or '-'} type={record.event_type or '-'} "
        f"failed_at={record.failed_at.isoformat()} "
        f"group={record.header('x-consumer-group') or '-'} error={error}"
    )


def format_show(record: DlqRecord) -> str:
    """The whole record: where it is, its key, every header, and the envelope as pretty JSON."""
    key = "-" if record.key is None else record.key.decode("utf-8", errors="replace")
    lines = [
        f"record: {record.ref}",
        f"timestamp: {datetime.fromtimestamp(record.timestamp_ms / 1000, UTC).isoformat()}",
        f"key: {key}",
        "headers:",
    ]
    lines.extend(
        f"  {name}: {value.decode('utf-8', errors='replace')}" for name, value in record.headers
    )
    envelope = record.envelope
    if envelope is not None:
        lines.append("envelope:")
        lines.append(orjson.dumps(envelope, option=orjson.OPT_INDENT_2).decode())
    elif record.value is None:
        lines.append("value: (none)")
    else:
        lines.append("value (not a JSON envelope):")
        lines.append(record.value.decode("utf-8", errors="replace"))
    return "\n".join(lines)


__all__ = [
    "DLQ_HEADERS",
    "REPLAYED_FROM_HEADER",
    "DlqRecord",
    "ReplayMessage",
    "ReplayPlan",
    "Selection",
    "Skipped",
    "build_replay",
    "format_list_line",
    "format_show",
    "parse_time",
    "plan_replay",
    "replay_headers",
    "select_records",
    "topics_for",
]
