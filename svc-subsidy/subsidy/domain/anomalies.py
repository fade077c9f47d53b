"""Anomalies of a period (issue 14 item 5): duplicate benefits, two active beds, subsidy for
days the bed was suspended. Pure: the service hands in rows, gets findings back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from subsidy.domain.calculators import calculate
from subsidy.domain.facts import BedFacts, active_days
from subsidy.domain.periods import Period
from subsidy.domain.policy import SubsidyProfile


@dataclass(frozen=True)
class Anomaly:
    kind: str  # duplicate_construction | two_active_beds | suspended_days_paid
    elder_id: str
    bed_ids: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class PaidLine:
    settlement_id: str
    provider_id: str
    bed_id: str
    elder_id: str
    for_period: str
    kind: str
    amount_fen: int


def duplicate_construction(lines: Iterable[PaidLine], cap_fen: int | None) -> list[Anomaly]:
    """Construction subsidy for one elder from more than one provider, or above the cap
    (每位老人限补助一次, 001 §四(七)1)."""
    per_elder: dict[str, list[PaidLine]] = defaultdict(list)
    for line in lines:
        if line.kind == "construction":
            per_elder[line.elder_id].append(line)
    found = []
    for elder, items in sorted(per_elder.items()):
        providers = sorted({x.provider_id for x in items})
        total = sum(x.amount_fen for x in items)
        if len(providers) > 1 or (cap_fen is not None and total > cap_fen):
            found.append(
                Anomaly(
                    "duplicate_construction",
                    elder,
                    tuple(sorted({x.bed_id for x in items})),
                    f"construction subsidy {total} fen from providers {providers}",
                )
            )
    return found


@dataclass(frozen=True)
class BedSpan:
    bed_id: str
    elder_id: str
    first: date | None  # established
    last: date | None  # last day of service


def two_active_beds(beds: Iterable[BedSpan], period: Period) -> list[Anomaly]:
    """One elder with two beds in service on some day of the period."""
    per_elder: dict[str, list[BedSpan]] = defaultdict(list)
    for bed in beds:
        if bed.first is None or bed.first > period.last_day:
            continue
        if bed.last is not None and bed.last < period.first_day:
            continue
        per_elder[bed.elder_id].append(bed)
    found = []
    for elder, spans in sorted(per_elder.items()):
        spans.sort(key=lambda s: s.bed_id)
        overlapping = {
            (a.bed_id, b.bed_id)
            for i, a in enumerate(spans)
            for b in spans[i + 1 :]
            if _overlap(a, b, period)
        }
        if overlapping:
            bed_ids = tuple(sorted({x for pair in overlapping for x in pair}))
            found.append(
                Anomaly("two_active_beds", elder, bed_ids, f"beds {list(bed_ids)} active together")
            )
    return found


def _overlap(a: BedSpan, b: BedSpan, period: Period) -> bool:
    assert a.first is not None
    assert b.first is not None
    start = max(a.first, b.first, period.first_day)
    end = min(a.last or period.last_day, b.last or period.last_day, period.last_day)
    return start <= end


MONTHLY = ("low_income_service", "operating")


def suspended_days_paid(
    profile: SubsidyProfile,
    lines: Sequence[PaidLine],
    facts: dict[str, BedFacts],
    period: Period,
) -> list[Anomaly]:
    """A monthly line settled (adjustments included) above what the bed's facts give now,
    for a month in which it was suspended: subsidy for suspended days, to be adjusted."""
    settled: dict[tuple[str, str, str], int] = defaultdict(int)
    for line in lines:
        if line.kind in MONTHLY and line.for_period == str(period):
            settled[(line.bed_id, line.elder_id, line.kind)] += line.amount_fen
    found = []
    for (bed_id, elder_id, kind), amount in sorted(settled.items()):
        bed = facts.get(bed_id)
        if bed is None:
            continue
        days = active_days(bed, period)
        if days is None or days.suspended == 0:
            continue
        due_by_kind: dict[str, int] = {
            x.kind: x.amount_fen for x in calculate(profile, period, bed).lines
        }
        due = due_by_kind.get(kind, 0)
        if amount > due:
            found.append(
                Anomaly(
                    "suspended_days_paid",
                    elder_id,
                    (bed_id,),
                    f"{kind}: {amount} fen settled for {period}, {due} fen due now: the bed "
                    f"was suspended {days.suspended} day(s) of the month",
                )
            )
    return found
