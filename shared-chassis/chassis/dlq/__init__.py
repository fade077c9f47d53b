"""DLQ replay: `python -m chassis.dlq list|show|replay --topic <topic>` (see cli.py)."""

from chassis.dlq.records import (
    DLQ_HEADERS,
    REPLAYED_FROM_HEADER,
    DlqRecord,
    ReplayMessage,
    ReplayPlan,
    Selection,
    Skipped,
    build_replay,
    plan_replay,
    select_records,
)

__all__ = [
    "DLQ_HEADERS",
    "REPLAYED_FROM_HEADER",
    "DlqRecord",
    "ReplayMessage",
    "ReplayPlan",
    "Selection",
    "Skipped",
    "build_replay",
    "plan_replay",
    "select_records",
]
