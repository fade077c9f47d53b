"""Payloads of `records.visits.v1`, keyed by bed_id."""

from __future__ import annotations

from datetime import datetime

from homebed_schemas.events.records import VisitEvent, VisitMode
from homebed_schemas.topics import RECORDS_VISITS
from service_records.tables import VisitRow

VISITS_TOPIC = RECORDS_VISITS.name


def visit_payload(
    row: VisitRow, *, categories: list[str], now: datetime, reason: str | None = None
) -> VisitEvent:
    seconds = 0
    if row.check_out_at is not None:
        seconds = max(0, int((row.check_out_at - row.check_in_at).total_seconds()))
    return VisitEvent(
        visit_id=row.id,
        version=row.version,
        bed_id=row.bed_id,
        provider_id=row.provider_id,
        elder_id=row.elder_id,
        worker_id=row.worker_id,
        worker_role=row.worker_role,
        mode=VisitMode(row.mode),
        status=row.status,
        check_in_at=row.check_in_at,
        check_out_at=row.check_out_at,
        service_date=row.service_date,
        service_seconds=seconds,
        items=list(row.items),
        categories=categories,
        caregiver_present=row.caregiver_present,
        reason=reason,
        occurred_at=now,
    )
