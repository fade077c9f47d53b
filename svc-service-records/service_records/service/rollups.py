"""Daily rollups: each verified visit adds its contribution to its day's row (O(1)); a void or a
correction subtracts the old one. The domain says what a visit contributes."""

from __future__ import annotations

from service_records.domain.minimums import DayRollup, VisitFact, visit_contribution
from service_records.repository import RollupRepository
from service_records.tables import DailyRollupRow, VisitRow


def visit_fact(row: VisitRow) -> VisitFact | None:
    if row.check_out_at is None:
        return None
    return VisitFact(
        start=row.check_in_at,
        end=row.check_out_at,
        worker_role=row.worker_role,
        mode=row.mode,
        caregiver_present=row.caregiver_present,
        verified=True,
    )


async def count_visit(rollups: RollupRepository, row: VisitRow, *, sign: int = 1) -> None:
    """Add (sign 1) or remove (sign -1) a verified visit from its day's rollup."""
    fact = visit_fact(row)
    if fact is None:
        return
    delta = visit_contribution(fact)
    day = await rollups.day(row.bed_id, delta.day)
    if day is None:
        day = DailyRollupRow(
            bed_id=row.bed_id,
            day=delta.day,
            provider_id=row.provider_id,
            on_site_visits=0,
            service_seconds=0,
            medic_visits=0,
            caregiver_absent_visits=0,
        )
        rollups.add(day)
    day.on_site_visits += sign * delta.onsite_visits
    day.service_seconds += sign * delta.onsite_seconds
    day.medic_visits += sign * delta.medic_visits
    day.caregiver_absent_visits += sign * delta.caregiver_absent
    row.counted = sign > 0


def as_day_rollup(row: DailyRollupRow) -> DayRollup:
    return DayRollup(
        day=row.day,
        onsite_seconds=row.service_seconds,
        onsite_visits=row.on_site_visits,
        medic_visits=row.medic_visits,
        caregiver_absent=row.caregiver_absent_visits,
    )
