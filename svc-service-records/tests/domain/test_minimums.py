"""The service minimums of 001 §四(三)3 and the caregiver rule of 001 §五(三) / 002 §七(一)3.

Readings (basis: interpretation) are those of shared/domain.md, "Service minimums".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chassis.clock import SHANGHAI
from service_records.domain.minimums import (
    CAREGIVER_PRESENT,
    DAILY_VISIT,
    MEDIC_BIWEEKLY,
    MONTHLY_HOURS,
    BedFacts,
    DayRollup,
    MinimumsProfile,
    MinimumsResult,
    Suspension,
    Violation,
    VisitFact,
    evaluate_month,
    evaluate_rollups,
    evaluation_window,
    fold_visit,
    forecast_month,
    medic_period,
    rollups_from_visits,
    shanghai_day,
)

XUANCHENG = MinimumsProfile()  # 1 visit a day, 30 h a month, a medic every 14 days


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def visit(
    day: date,
    *,
    seconds: int = 3600,
    role: str = "caregiver",
    mode: str = "on_site",
    hour: int = 9,
    caregiver_present: bool | None = True,
    verified: bool = True,
) -> VisitFact:
    start = at(day, hour)
    return VisitFact(
        start=start,
        end=start + timedelta(seconds=seconds),
        worker_role=role,
        mode=mode,
        caregiver_present=caregiver_present,
        verified=verified,
    )


def days_of(year: int, month: int, first: int, last: int) -> list[date]:
    return [date(year, month, d) for d in range(first, last + 1)]


def full_month(
    year: int, month: int, last: int, *, seconds: int, medic_every: int = 7
) -> list[VisitFact]:
    """One visit a day; a nurse every `medic_every` days of the month."""
    return [
        visit(d, seconds=seconds, role="nurse" if d.day % medic_every == 1 else "caregiver")
        for d in days_of(year, month, 1, last)
    ]


def rules(violations: tuple[Violation, ...]) -> list[str]:
    return [v.rule for v in violations]


def dates_of(result: MinimumsResult, rule: str) -> list[date | None]:
    return [v.date for v in result.violations if v.rule == rule]


def evaluate(
    visits: list[VisitFact],
    bed: BedFacts,
    *,
    year: int = 2022,
    month: int = 6,
    as_of: date | None = None,
) -> MinimumsResult:
    return evaluate_month(
        XUANCHENG,
        caregiver_present_required=True,
        year=year,
        month=month,
        bed=bed,
        visits=visits,
        as_of=as_of,
    )


def test_a_visit_belongs_to_its_shanghai_start_date() -> None:
    """001 §四(三)3 每日上门: 2022-06-01T17:00Z is 01:00 on 2022-06-02 in Shanghai."""
    start = datetime(2022, 6, 1, 17, 0, tzinfo=UTC)
    assert shanghai_day(start) == date(2022, 6, 2)
    bed = BedFacts(established_on=date(2022, 6, 1))
    late = VisitFact(start, start + timedelta(hours=1), "caregiver", "on_site", True)
    result = evaluate([late], bed, as_of=date(2022, 6, 2))
    assert dates_of(result, DAILY_VISIT) == [date(2022, 6, 1)]


def test_a_visit_crossing_midnight_counts_whole_on_its_start_day() -> None:
    """A visit 23:00–01:00 Shanghai: its 7200 s count on the start day, not the next."""
    bed = BedFacts(established_on=date(2022, 6, 1))
    v = visit(date(2022, 6, 30), hour=23, seconds=7200)
    result = evaluate([v], bed)
    assert result.service_seconds == 7200
    july = evaluate([v], bed, year=2022, month=7)
    assert july.service_seconds == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        shanghai_day(datetime(2022, 6, 1, 9))


def test_exactly_30_hours_pass_one_second_less_fails() -> None:
    """001 §四(三)3 每月累计服务时长不少于 30 小时: 108000 s pass, 107999 s do not."""
    bed = BedFacts(established_on=date(2022, 5, 1))
    visits = full_month(2022, 6, 30, seconds=3600)  # 30 × 1 h = 108000 s
    ok = evaluate(visits, bed)
    assert (ok.service_seconds, ok.required_seconds, ok.compliant) == (108_000, 108_000, True)
    short = [*visits[:-1], visit(date(2022, 6, 30), seconds=3599)]
    result = evaluate(short, bed)
    assert result.service_seconds == 107_999
    assert rules(result.violations) == [MONTHLY_HOURS]
    assert result.violations[0].from_ == date(2022, 6, 1)
    assert result.violations[0].to == date(2022, 6, 30)


def test_suspended_days_are_not_active_and_hours_are_pro_rated() -> None:
    """Suspensions (inclusive) are not active days; required = ceil(108000 × active / days)."""
    bed = BedFacts(
        established_on=date(2022, 5, 1),
        suspensions=(Suspension(date(2022, 6, 10), date(2022, 6, 19)),),
    )
    visits = [
        visit(d, seconds=5400, role="nurse" if d.day in (1, 8, 22, 29) else "caregiver")
        for d in days_of(2022, 6, 1, 30)
        if not 10 <= d.day <= 19
    ]
    result = evaluate(visits, bed)
    assert result.required_seconds == 72_000  # 108000 × 20 / 30
    assert result.service_seconds == 20 * 5400
    assert result.compliant, result.violations
    # 31-day month, 10 active days: ceil(108000 × 10 / 31) = 34839 (34838.7…)
    may = BedFacts(established_on=date(2022, 5, 22))
    assert evaluate([], may, year=2022, month=5).required_seconds == 34_839


def test_established_mid_month_and_ended_bed_count_only_their_days() -> None:
    """Active days run from the established date to the end date, both inclusive."""
    bed = BedFacts(established_on=date(2022, 6, 11), ended_on=date(2022, 6, 20))
    result = evaluate([], bed)
    assert result.required_seconds == 36_000  # 10 active days of 30
    assert dates_of(result, DAILY_VISIT) == days_of(2022, 6, 11, 20)
    assert MEDIC_BIWEEKLY not in rules(result.violations)  # ended before its period ended


def test_medic_periods_are_fixed_from_the_established_date() -> None:
    """每 2 周医护人员应该至少上门服务 1 次: fixed periods [est, +13], [+14, +27], …"""
    period = medic_period(date(2022, 6, 5), date(2022, 6, 20))
    assert (period.index, period.start, period.end) == (1, date(2022, 6, 19), date(2022, 7, 2))


def test_a_period_ending_in_the_next_month_is_judged_then() -> None:
    """Period 2022-06-19..07-02 ends in July: June does not judge it, July does."""
    bed = BedFacts(established_on=date(2022, 6, 5))
    june = [visit(d, seconds=4000) for d in days_of(2022, 6, 5, 30)]
    june.append(visit(date(2022, 6, 10), role="doctor", hour=15))  # covers 06-05..06-18
    result = evaluate(june, bed)
    assert MEDIC_BIWEEKLY not in rules(result.violations)
    july = evaluate(june, bed, year=2022, month=7, as_of=date(2022, 7, 2))
    medic = [v for v in july.violations if v.rule == MEDIC_BIWEEKLY]
    assert [(v.from_, v.to) for v in medic] == [(date(2022, 6, 19), date(2022, 7, 2))]
    # A nurse on 06-25 (visits of the previous month are part of the window) satisfies it
    assert evaluation_window(2022, 7, bed) == (date(2022, 6, 19), date(2022, 7, 31))
    fixed = evaluate(
        [*june, visit(date(2022, 6, 25), role="nurse", hour=16)],
        bed,
        year=2022,
        month=7,
        as_of=date(2022, 7, 2),
    )
    assert MEDIC_BIWEEKLY not in rules(fixed.violations)


def test_video_and_phone_contacts_are_recorded_but_do_not_count() -> None:
    """Two video rounds a day (001 附件3 早晚两次查房) are platform services, not visits."""
    bed = BedFacts(established_on=date(2022, 6, 1))
    contacts = [visit(date(2022, 6, 1), mode="video", role="nurse", seconds=40_000)]
    contacts.append(visit(date(2022, 6, 1), mode="phone", role="doctor", hour=20))
    result = evaluate(contacts, bed, as_of=date(2022, 6, 1))
    assert result.service_seconds == 0
    assert rules(result.violations) == [DAILY_VISIT]


def test_unverified_visits_do_not_count() -> None:
    """A visit with an open EVV exception is not counted until verified."""
    bed = BedFacts(established_on=date(2022, 6, 1))
    result = evaluate([visit(date(2022, 6, 1), verified=False)], bed, as_of=date(2022, 6, 1))
    assert (result.service_seconds, rules(result.violations)) == (0, [DAILY_VISIT])


def test_caregiver_absent_is_one_violation_per_visit_with_its_index() -> None:
    """001 §五(三), 002 §七(一)3 服务时须有家庭照料者在场; None (not recorded) is not absent."""
    bed = BedFacts(established_on=date(2022, 6, 1))
    visits = [
        visit(date(2022, 6, 1)),
        visit(date(2022, 6, 1), hour=14, caregiver_present=False),
        visit(date(2022, 6, 2), caregiver_present=None),
        visit(date(2022, 6, 2), hour=15, caregiver_present=False, mode="video"),
    ]
    result = evaluate(visits, bed, as_of=date(2022, 6, 2))
    absent = [v for v in result.violations if v.rule == CAREGIVER_PRESENT]
    assert [(v.visit_index, v.date) for v in absent] == [(1, date(2022, 6, 1))]


def test_caregiver_rule_applies_without_minimums() -> None:
    """Changning (310105) has no minimums but the caregiver rule (002 §七(一)3)."""
    bed = BedFacts(established_on=date(2022, 6, 1))
    visits = [visit(date(2022, 6, 3), caregiver_present=False)]
    result = evaluate_month(
        None, caregiver_present_required=True, year=2022, month=6, bed=bed, visits=visits
    )
    assert (result.applies, result.compliant, result.required_seconds) == (False, False, 0)
    assert rules(result.violations) == [CAREGIVER_PRESENT]
    quiet = evaluate_month(
        None, caregiver_present_required=False, year=2022, month=6, bed=bed, visits=visits
    )
    assert (quiet.applies, quiet.compliant, quiet.service_seconds) == (False, True, 3600)


def test_as_of_judges_only_days_so_far() -> None:
    """Mid-month: later days are not missed; hours are not judged before the month ends."""
    bed = BedFacts(established_on=date(2022, 5, 1))
    visits = [visit(d) for d in days_of(2022, 6, 1, 9)]
    result = evaluate(visits, bed, as_of=date(2022, 6, 10))
    assert result.required_seconds == 108_000
    assert result.service_seconds == 9 * 3600
    assert [(v.rule, v.date) for v in result.violations if v.rule == DAILY_VISIT] == [
        (DAILY_VISIT, date(2022, 6, 10))
    ]
    assert MONTHLY_HOURS not in rules(result.violations)


def test_forecast_says_the_month_is_lost_when_hours_cannot_be_reached() -> None:
    bed = BedFacts(established_on=date(2022, 5, 1))
    visits = [visit(d, seconds=600, role="nurse") for d in days_of(2022, 6, 1, 29)]
    lost = forecast_month(
        XUANCHENG,
        caregiver_present_required=True,
        year=2022,
        month=6,
        bed=bed,
        as_of=date(2022, 6, 29),
        visits=visits,
        max_daily_seconds=12 * 3600,
    )
    assert lost.so_far.compliant
    assert lost.remaining_active_days == 1
    assert not lost.hours_reachable
    assert lost.will_miss
    assert lost.seconds_short == 108_000 - 29 * 600
    saved = forecast_month(
        XUANCHENG,
        caregiver_present_required=True,
        year=2022,
        month=6,
        bed=bed,
        as_of=date(2022, 6, 20),
        days=rollups_from_visits(visits[:20]),
    )
    assert saved.hours_reachable
    assert not saved.will_miss
    assert saved.needed_seconds_per_remaining_day == -(-(108_000 - 20 * 600) // 10)


def test_forecast_lists_missed_days_and_medic_due() -> None:
    bed = BedFacts(established_on=date(2022, 6, 1))
    visits = [visit(d) for d in days_of(2022, 6, 1, 10) if d.day != 4]
    outlook = forecast_month(
        XUANCHENG,
        caregiver_present_required=False,
        year=2022,
        month=6,
        bed=bed,
        as_of=date(2022, 6, 10),
        visits=visits,
    )
    assert outlook.missed_days == (date(2022, 6, 4),)
    assert outlook.will_miss
    assert [(p.start, p.end) for p in outlook.medic_due] == [
        (date(2022, 6, 1), date(2022, 6, 14)),
        (date(2022, 6, 15), date(2022, 6, 28)),
    ]


def test_fold_visit_is_additive_and_checks_the_day() -> None:
    v = visit(date(2022, 6, 1), role="nurse", caregiver_present=False)
    rollup = fold_visit(fold_visit(None, v), v)
    assert rollup == DayRollup(date(2022, 6, 1), 7200, 2, 2, 2)
    assert rollup - fold_visit(None, v) == fold_visit(None, v)
    with pytest.raises(ValueError, match="combine"):
        fold_visit(rollup, visit(date(2022, 6, 2)))


def test_rollup_evaluation_matches_the_direct_one() -> None:
    bed = BedFacts(established_on=date(2022, 5, 20))
    visits = full_month(2022, 6, 28, seconds=3000)
    direct = evaluate(visits, bed)
    rolled = evaluate_rollups(
        XUANCHENG,
        caregiver_present_required=True,
        year=2022,
        month=6,
        bed=bed,
        days=rollups_from_visits(visits).values(),
    )
    assert direct == rolled
    assert not direct.compliant
