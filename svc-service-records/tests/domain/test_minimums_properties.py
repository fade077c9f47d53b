"""Property tests of the minimums rule (001 §四(三)3; readings of shared/domain.md).

An independent, naive oracle re-derives the result from the readings word by word; the
rollup evaluation (what the service stores per bed and day) must equal the direct one.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.clock import SHANGHAI
from service_records.domain.minimums import (
    CAREGIVER_PRESENT,
    BedFacts,
    MinimumsProfile,
    Violation,
    VisitFact,
    evaluate_month,
    evaluate_rollups,
    fold_visit,
    rollups_from_visits,
)
from service_records.hypothesis_strategies import MONTH, YEAR, beds, visits


def oracle(
    bed: BedFacts, visit_list: list[VisitFact], as_of: date | None
) -> tuple[int, int, set[tuple[str, date | None, date | None]]]:
    """The readings, literally: (service_seconds, required_seconds, {violations})."""
    dim = calendar.monthrange(YEAR, MONTH)[1]
    month = [date(YEAR, MONTH, d) for d in range(1, dim + 1)]
    cutoff = month[-1] if as_of is None else min(as_of, month[-1])

    def day(v: VisitFact) -> date:
        return v.start.astimezone(SHANGHAI).date()

    def active(d: date) -> bool:
        if d < bed.established_on or (bed.ended_on and d > bed.ended_on):
            return False
        return not any(s.start <= d <= s.end for s in bed.suspensions)

    counted = [v for v in visit_list if v.verified and v.mode == "on_site"]
    service = sum(
        max(0, int((v.end - v.start).total_seconds()))
        for v in counted
        if month[0] <= day(v) <= cutoff
    )
    act = [d for d in month if active(d)]
    required = math.ceil(108_000 * len(act) / dim)
    found: set[tuple[str, date | None, date | None]] = set()
    for d in act:
        if d <= cutoff and not any(day(v) == d for v in counted):
            found.add(("daily_visit", d, None))
    if cutoff == month[-1] and service < required:
        found.add(("monthly_hours", month[0], month[-1]))
    k = 0
    while True:
        start = bed.established_on + timedelta(days=14 * k)
        end = start + timedelta(days=13)
        k += 1
        if end > cutoff:
            break
        if end < month[0] or (bed.ended_on and bed.ended_on < end):
            continue
        if not any(active(start + timedelta(days=i)) for i in range(14)):
            continue
        if not any(
            start <= day(v) <= end and v.worker_role in ("nurse", "doctor") for v in counted
        ):
            found.add(("medic_biweekly", start, end))
    return service, required, found


def as_set(violations: tuple[Violation, ...]) -> set[tuple[str, date | None, date | None]]:
    return {
        (v.rule, v.date if v.rule == "daily_visit" else v.from_, v.to)
        for v in violations
        if v.rule != CAREGIVER_PRESENT
    }


as_ofs = st.one_of(st.none(), st.dates(date(2024, 1, 25), date(2024, 3, 5)))


@settings(max_examples=120, deadline=None)
@given(bed=beds(), visit_list=st.lists(visits(), max_size=60), as_of=as_ofs)
def test_direct_evaluation_matches_the_oracle(
    bed: BedFacts, visit_list: list[VisitFact], as_of: date | None
) -> None:
    result = evaluate_month(
        MinimumsProfile(),
        caregiver_present_required=False,
        year=YEAR,
        month=MONTH,
        bed=bed,
        visits=visit_list,
        as_of=as_of,
    )
    service, required, found = oracle(bed, visit_list, as_of)
    assert (result.service_seconds, result.required_seconds) == (service, required)
    assert as_set(result.violations) == found
    assert result.compliant == (not found)


@settings(max_examples=120, deadline=None)
@given(
    bed=beds(),
    visit_list=st.lists(visits(), max_size=60),
    as_of=as_ofs,
    caregiver=st.booleans(),
    data=st.data(),
)
def test_rollups_folded_in_any_order_equal_the_direct_evaluation(
    bed: BedFacts,
    visit_list: list[VisitFact],
    as_of: date | None,
    caregiver: bool,
    data: st.DataObject,
) -> None:
    """Folding visits one at a time (any order) into day rollups loses nothing the rule needs."""
    shuffled = data.draw(st.permutations(visit_list))
    days: dict[date, object] = {}
    rolled = {}
    for v in shuffled:
        rollup = fold_visit(rolled.get(v.start.astimezone(SHANGHAI).date()), v)
        rolled[rollup.day] = rollup
    days = rolled
    assert days == rollups_from_visits(visit_list)
    kwargs = {
        "caregiver_present_required": caregiver,
        "year": YEAR,
        "month": MONTH,
        "bed": bed,
        "as_of": as_of,
    }
    direct = evaluate_month(MinimumsProfile(), visits=visit_list, **kwargs)  # type: ignore[arg-type]
    from_rollups = evaluate_rollups(MinimumsProfile(), days=rolled, **kwargs)  # type: ignore[arg-type]
    assert from_rollups.service_seconds == direct.service_seconds
    assert from_rollups.required_seconds == direct.required_seconds
    assert from_rollups.compliant == direct.compliant

    def key(v: Violation) -> tuple[str, date | None, date | None, date | None]:
        return (v.rule, v.date, v.from_, v.to)

    assert sorted(map(key, from_rollups.violations), key=str) == sorted(
        (key(v) for v in direct.violations), key=str
    )
