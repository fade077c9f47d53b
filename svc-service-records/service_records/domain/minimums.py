"""The service minimums of a family bed as a pure rule (001 §四(三)3), plus the caregiver rule.

001 §四(三)3: "每日上门服务不少于 1 次，每月累计服务时长不少于 30 小时，每 2 周医护人员应该至少
上门服务 1 次". 001 §五(三) and 002 §七(一)3: "服务时须有家庭照料者在场".

The readings (`basis: interpretation`, shared/domain.md "Readings decided where the seeds are
silent"), exactly:

- A visit's day is the Asia/Shanghai date of its start. A visit crossing midnight counts whole
  on the day it started (its seconds too): 2022-06-01T17:00Z is 2022-06-02 in Shanghai.
- Only verified on-site visits count. Video and phone contacts are recorded but do not count.
- Active days: the days of the month from the established date, up to and including the end
  date if the bed ended, minus suspended days (suspensions are inclusive date ranges).
- Daily visit: each active day has at least `daily_onsite_visits` counted visits.
- Monthly hours: at least `required_seconds = ceil(108000 × active_days / days_in_month)` of
  counted on-site service in the month (`service_seconds`: counted visits starting in the month).
- Medic every 2 weeks: a nurse or doctor on site at least once in each fixed 14-day period
  counted from the established date ([established, +13], [+14, +27], …). A period is judged in
  the month where it ends, so a month's evaluation also needs the days of a period that began in
  the previous month (`evaluation_window`). A period is not judged when the bed ended before the
  period's last day, nor when none of its days is active (the elder was away the whole period).
- Caregiver present: one violation per verified on-site visit with `caregiver_present is False`
  (None means not recorded, not a violation); applies in 341800 and 310105, also where the
  minimums do not (the caller passes `caregiver_present_required`).
- `as_of`: only days up to and including `as_of` are judged (a live view; pass yesterday when
  today is still open). Later days are neither violations nor missed; a period ending after
  `as_of` is not judged yet; `monthly_hours` is judged only once `as_of` reaches the month's end.
  `required_seconds` is always the whole month's.

Incremental form: every visit folds into one `DayRollup` per (bed, Shanghai day) with
`visit_contribution` / `fold_visit` (O(1), additive, so a SQL upsert can add it);
`evaluate_rollups` judges a month from the rollups of `evaluation_window` without rescanning
visits and gives the same result as `evaluate_month` except that caregiver violations carry a
date but no `visit_index`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from chassis.clock import SHANGHAI
from service_records.domain.vocabulary import MEDIC_ROLES, VisitMode

DAILY_VISIT = "daily_visit"
MONTHLY_HOURS = "monthly_hours"
MEDIC_BIWEEKLY = "medic_biweekly"
CAREGIVER_PRESENT = "caregiver_present"
RULES: tuple[str, ...] = (DAILY_VISIT, MONTHLY_HOURS, MEDIC_BIWEEKLY, CAREGIVER_PRESENT)

SECONDS_PER_DAY = 86_400
Day = date  # alias: `Violation.date` shadows the type inside its class


@dataclass(frozen=True)
class MinimumsProfile:
    """The numbers of 001 §四(三)3 (a profile without minimums is `None`, not zeros)."""

    daily_onsite_visits: int = 1
    monthly_onsite_seconds: int = 30 * 3600
    medic_period_days: int = 14

    def __post_init__(self) -> None:
        if self.daily_onsite_visits < 0 or self.monthly_onsite_seconds < 0:
            raise ValueError("minimums are not negative")
        if self.medic_period_days < 1:
            raise ValueError("medic_period_days is at least 1")


@dataclass(frozen=True)
class Suspension:
    """Days the bed does not serve (hospital stay, trip): `start` to `end`, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a suspension ends on or after its start")

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class BedFacts:
    """What the rule needs of a bed: established (建床) date, suspensions, end (撤床) date."""

    established_on: date
    suspensions: tuple[Suspension, ...] = ()
    ended_on: date | None = None

    def is_active(self, day: date) -> bool:
        """Serving on `day`: established, not yet ended (the end date is active), not suspended."""
        if day < self.established_on or (self.ended_on is not None and day > self.ended_on):
            return False
        return not any(s.covers(day) for s in self.suspensions)


@dataclass(frozen=True)
class VisitFact:
    """One contact as the rule sees it; `start`/`end` are timezone-aware."""

    start: datetime
    end: datetime
    worker_role: str
    mode: str
    caregiver_present: bool | None = None
    verified: bool = True


@dataclass(frozen=True)
class Violation:
    """One broken rule: a day (`date`), a period (`from_`..`to`), or a visit (`visit_index`)."""

    rule: str
    date: Day | None = None
    from_: Day | None = None
    to: Day | None = None
    visit_index: int | None = None


@dataclass(frozen=True)
class MinimumsResult:
    applies: bool
    compliant: bool
    service_seconds: int
    required_seconds: int
    violations: tuple[Violation, ...]


@dataclass(frozen=True)
class DayRollup:
    """The counted facts of one bed on one Shanghai day; additive (`a + b`), so O(1) to fold."""

    day: date
    onsite_seconds: int = 0
    onsite_visits: int = 0
    medic_visits: int = 0
    caregiver_absent: int = 0

    def __add__(self, other: DayRollup) -> DayRollup:
        return self._combine(other, 1)

    def __sub__(self, other: DayRollup) -> DayRollup:
        """Undo a contribution (a visit corrected or unverified later)."""
        return self._combine(other, -1)

    def _combine(self, other: DayRollup, sign: int) -> DayRollup:
        if other.day != self.day:
            raise ValueError(f"cannot combine rollups of {self.day} and {other.day}")
        return DayRollup(
            day=self.day,
            onsite_seconds=self.onsite_seconds + sign * other.onsite_seconds,
            onsite_visits=self.onsite_visits + sign * other.onsite_visits,
            medic_visits=self.medic_visits + sign * other.medic_visits,
            caregiver_absent=self.caregiver_absent + sign * other.caregiver_absent,
        )


@dataclass(frozen=True)
class MedicPeriod:
    """The `index`-th fixed 14-day period of a bed: `start`..`end`, inclusive."""

    index: int
    start: date
    end: date


@dataclass(frozen=True)
class MonthForecast:
    """Mid-month outlook: will the bed miss the month, and what is still needed.

    `will_miss` is certain, not a guess: a violation already happened (a missed day, a judged
    period without a medic, a caregiver absence), or the hours cannot be reached even with
    `max_daily_seconds` of service on every remaining active day.
    """

    as_of: date
    so_far: MinimumsResult
    service_seconds: int
    required_seconds: int
    seconds_short: int
    remaining_active_days: int
    max_achievable_seconds: int
    needed_seconds_per_remaining_day: int
    missed_days: tuple[date, ...]
    medic_due: tuple[MedicPeriod, ...] = field(default_factory=tuple)
    hours_reachable: bool = True
    will_miss: bool = False


def shanghai_day(moment: datetime) -> date:
    """The Asia/Shanghai date of an aware datetime (naive ones are refused, not guessed)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("visit times must be timezone-aware")
    return moment.astimezone(SHANGHAI).date()


def visit_seconds(visit: VisitFact) -> int:
    """Whole seconds from start to end (0 if the end is before the start)."""
    return max(0, int((visit.end - visit.start).total_seconds()))


def is_counted(visit: VisitFact) -> bool:
    """A verified on-site visit (video and phone contacts never count)."""
    return visit.verified and visit.mode == VisitMode.ON_SITE.value


def visit_contribution(visit: VisitFact) -> DayRollup:
    """What one visit adds to its day's rollup (zeros for a contact that does not count)."""
    day = shanghai_day(visit.start)
    if not is_counted(visit):
        return DayRollup(day=day)
    return DayRollup(
        day=day,
        onsite_seconds=visit_seconds(visit),
        onsite_visits=1,
        medic_visits=1 if visit.worker_role in MEDIC_ROLES else 0,
        caregiver_absent=1 if visit.caregiver_present is False else 0,
    )


def fold_visit(rollup: DayRollup | None, visit: VisitFact) -> DayRollup:
    """The day's rollup after recording `visit` (`rollup` is that day's, or None if none yet)."""
    delta = visit_contribution(visit)
    return delta if rollup is None else rollup + delta


def rollups_from_visits(visits: Iterable[VisitFact]) -> dict[date, DayRollup]:
    """Fold many visits into one rollup per day."""
    days: dict[date, DayRollup] = {}
    for visit in visits:
        delta = visit_contribution(visit)
        current = days.get(delta.day)
        days[delta.day] = delta if current is None else current + delta
    return days


def month_bounds(year: int, month: int) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def medic_period(established_on: date, day: date, period_days: int = 14) -> MedicPeriod:
    """The fixed period containing `day` (on or after the established date)."""
    if day < established_on:
        raise ValueError("no medic period before the bed is established")
    index = (day - established_on).days // period_days
    start = established_on + timedelta(days=index * period_days)
    return MedicPeriod(index=index, start=start, end=start + timedelta(days=period_days - 1))


def periods_ending_in(
    established_on: date, first: date, last: date, period_days: int = 14
) -> list[MedicPeriod]:
    """The fixed periods whose last day falls within `first`..`last`."""
    offset = (first - established_on).days - (period_days - 1)
    index = max(0, -(-offset // period_days))
    found: list[MedicPeriod] = []
    while True:
        start = established_on + timedelta(days=index * period_days)
        end = start + timedelta(days=period_days - 1)
        if end > last:
            return found
        found.append(MedicPeriod(index=index, start=start, end=end))
        index += 1


def evaluation_window(
    year: int, month: int, bed: BedFacts, profile: MinimumsProfile | None = None
) -> tuple[date, date]:
    """The days whose visits (or rollups) a month's evaluation needs, inclusive.

    The month, plus the earlier days of a medic period that ends in the month.
    """
    first, last = month_bounds(year, month)
    period_days = (profile or MinimumsProfile()).medic_period_days
    if bed.established_on >= first:
        return first, last
    return medic_period(bed.established_on, first, period_days).start, last


def required_seconds(profile: MinimumsProfile, active_days: int, days_in_month: int) -> int:
    """`ceil(monthly_onsite_seconds × active_days / days_in_month)`, in integers."""
    return -(-profile.monthly_onsite_seconds * active_days // days_in_month)


def active_days(year: int, month: int, bed: BedFacts) -> list[date]:
    first, last = month_bounds(year, month)
    start = max(first, bed.established_on)
    end = last if bed.ended_on is None else min(last, bed.ended_on)
    days: list[date] = []
    day = start
    while day <= end:
        if not any(s.covers(day) for s in bed.suspensions):
            days.append(day)
        day += timedelta(days=1)
    return days


def evaluate_month(
    profile: MinimumsProfile | None,
    *,
    caregiver_present_required: bool,
    year: int,
    month: int,
    bed: BedFacts,
    visits: Sequence[VisitFact],
    as_of: date | None = None,
) -> MinimumsResult:
    """Judge one bed's month from its visits (include the days of `evaluation_window`).

    Caregiver violations carry the visit's index in `visits` and its day.
    """
    first, last = month_bounds(year, month)
    window_start, _ = evaluation_window(year, month, bed, profile)
    cutoff = last if as_of is None else min(last, as_of)
    days: dict[date, DayRollup] = {}
    absent: list[Violation] = []
    for index, visit in enumerate(visits):
        delta = visit_contribution(visit)
        if not window_start <= delta.day <= last:
            continue
        current = days.get(delta.day)
        days[delta.day] = delta if current is None else current + delta
        if delta.caregiver_absent and first <= delta.day <= cutoff:
            absent.append(Violation(rule=CAREGIVER_PRESENT, date=delta.day, visit_index=index))
    return _evaluate(
        profile,
        caregiver_present_required=caregiver_present_required,
        year=year,
        month=month,
        bed=bed,
        days=days,
        as_of=as_of,
        caregiver_violations=tuple(absent),
    )


def evaluate_rollups(
    profile: MinimumsProfile | None,
    *,
    caregiver_present_required: bool,
    year: int,
    month: int,
    bed: BedFacts,
    days: Iterable[DayRollup] | Mapping[date, DayRollup],
    as_of: date | None = None,
) -> MinimumsResult:
    """Judge one bed's month from its day rollups (those of `evaluation_window`; others ignored).

    Same result as `evaluate_month` over the same visits, except that caregiver violations
    carry `date` and no `visit_index` (a rollup counts absences, it does not list visits).
    """
    rollups = days.values() if isinstance(days, Mapping) else days
    by_day: dict[date, DayRollup] = {}
    for rollup in rollups:
        current = by_day.get(rollup.day)
        by_day[rollup.day] = rollup if current is None else current + rollup
    return _evaluate(
        profile,
        caregiver_present_required=caregiver_present_required,
        year=year,
        month=month,
        bed=bed,
        days=by_day,
        as_of=as_of,
        caregiver_violations=None,
    )


def _evaluate(
    profile: MinimumsProfile | None,
    *,
    caregiver_present_required: bool,
    year: int,
    month: int,
    bed: BedFacts,
    days: Mapping[date, DayRollup],
    as_of: date | None,
    caregiver_violations: tuple[Violation, ...] | None,
) -> MinimumsResult:
    first, last = month_bounds(year, month)
    cutoff = last if as_of is None else min(last, as_of)
    service = sum(r.onsite_seconds for d, r in days.items() if first <= d <= cutoff)
    violations: list[Violation] = []
    required = 0
    if profile is not None:
        active = active_days(year, month, bed)
        required = required_seconds(profile, len(active), last.day)
        for day in active:
            if day > cutoff:
                break
            rollup = days.get(day)
            if (rollup.onsite_visits if rollup else 0) < profile.daily_onsite_visits:
                violations.append(Violation(rule=DAILY_VISIT, date=day))
        violations.extend(_medic_violations(profile, bed, days, first, cutoff))
        if cutoff == last and service < required:
            violations.append(Violation(rule=MONTHLY_HOURS, from_=first, to=last))
    if caregiver_present_required:
        if caregiver_violations is None:
            caregiver_violations = tuple(
                Violation(rule=CAREGIVER_PRESENT, date=d)
                for d in sorted(days)
                if first <= d <= cutoff
                for _ in range(max(0, days[d].caregiver_absent))
            )
        violations.extend(caregiver_violations)
    return MinimumsResult(
        applies=profile is not None,
        compliant=not violations,
        service_seconds=service,
        required_seconds=required,
        violations=tuple(violations),
    )


def _medic_violations(
    profile: MinimumsProfile,
    bed: BedFacts,
    days: Mapping[date, DayRollup],
    first: date,
    cutoff: date,
) -> list[Violation]:
    found: list[Violation] = []
    if cutoff < first:
        return found
    for period in periods_ending_in(bed.established_on, first, cutoff, profile.medic_period_days):
        if not _judged(period, bed):
            continue
        seen = False
        day = period.start
        while day <= period.end and not seen:
            rollup = days.get(day)
            seen = rollup is not None and rollup.medic_visits > 0
            day += timedelta(days=1)
        if not seen:
            found.append(Violation(rule=MEDIC_BIWEEKLY, from_=period.start, to=period.end))
    return found


def _judged(period: MedicPeriod, bed: BedFacts) -> bool:
    """Judge a period the bed lived through to its end and that has at least one active day."""
    if bed.ended_on is not None and bed.ended_on < period.end:
        return False
    day = period.start
    while day <= period.end:
        if bed.is_active(day):
            return True
        day += timedelta(days=1)
    return False


def forecast_month(
    profile: MinimumsProfile | None,
    *,
    caregiver_present_required: bool,
    year: int,
    month: int,
    bed: BedFacts,
    as_of: date,
    visits: Sequence[VisitFact] | None = None,
    days: Iterable[DayRollup] | Mapping[date, DayRollup] | None = None,
    max_daily_seconds: int = SECONDS_PER_DAY,
) -> MonthForecast:
    """Will the bed miss this month? Judged from visits or rollups (exactly one) up to `as_of`.

    `max_achievable_seconds` = hours so far + `max_daily_seconds` on every active day after
    `as_of` (known suspensions and the end date count; a day's cap defaults to 24 h, a provider
    may pass a realistic one). `medic_due`: periods ending in the month after `as_of` with no
    nurse or doctor yet. The forecast is certain when `will_miss` is true; when false the month
    can still be saved, `needed_seconds_per_remaining_day` says at what pace.
    """
    if (visits is None) == (days is None):
        raise ValueError("pass either visits or days")
    rollups: dict[date, DayRollup]
    if visits is not None:
        so_far = evaluate_month(
            profile,
            caregiver_present_required=caregiver_present_required,
            year=year,
            month=month,
            bed=bed,
            visits=visits,
            as_of=as_of,
        )
        rollups = rollups_from_visits(visits)
    else:
        assert days is not None
        so_far = evaluate_rollups(
            profile,
            caregiver_present_required=caregiver_present_required,
            year=year,
            month=month,
            bed=bed,
            days=days,
            as_of=as_of,
        )
        rollups = {}
        for r in days.values() if isinstance(days, Mapping) else days:
            rollups[r.day] = rollups[r.day] + r if r.day in rollups else r
    _, last = month_bounds(year, month)
    remaining = sum(1 for d in active_days(year, month, bed) if d > as_of)
    short = max(0, so_far.required_seconds - so_far.service_seconds)
    max_achievable = so_far.service_seconds + remaining * max_daily_seconds
    reachable = max_achievable >= so_far.required_seconds
    due: list[MedicPeriod] = []
    if profile is not None and as_of < last:
        start = max(as_of + timedelta(days=1), month_bounds(year, month)[0])
        for period in periods_ending_in(bed.established_on, start, last, profile.medic_period_days):
            if not _judged(period, bed):
                continue
            seen = any(
                (r := rollups.get(period.start + timedelta(days=i))) is not None
                and r.medic_visits > 0
                and period.start + timedelta(days=i) <= as_of
                for i in range(profile.medic_period_days)
            )
            if not seen:
                due.append(period)
    return MonthForecast(
        as_of=as_of,
        so_far=so_far,
        service_seconds=so_far.service_seconds,
        required_seconds=so_far.required_seconds,
        seconds_short=short,
        remaining_active_days=remaining,
        max_achievable_seconds=max_achievable,
        needed_seconds_per_remaining_day=-(-short // remaining) if remaining else short,
        missed_days=tuple(
            v.date for v in so_far.violations if v.rule == DAILY_VISIT and v.date is not None
        ),
        medic_due=tuple(due),
        hours_reachable=reachable,
        will_miss=(not so_far.compliant) or (profile is not None and not reachable),
    )
