"""The per-bed monthly calculators: the same code serves the preview route and the settlement run.

`calculate(profile, period, bed)` returns the lines due for that bed in that month and a note
for every rule it had to skip. Pure: no clock, no I/O; the same inputs give the same lines.
A settlement run plans the month once (`plan_month`: the rules valid in it, each with its last
coverable day) and calls `calculate_planned` per bed: the same calculators, no per-bed lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from subsidy.domain.facts import BedFacts, active_days
from subsidy.domain.lines import Calculation, FundingLeg, Line, SkippedRule
from subsidy.domain.money import percent_of, prorate, round_half_up, yuan
from subsidy.domain.periods import Period, add_months, day_before
from subsidy.domain.policy import (
    ConstructionRule,
    LowIncomeServiceRule,
    ModificationRule,
    OperatingRule,
    Rule,
    SubsidyProfile,
    VoucherRule,
)

Outcome = Line | SkippedRule | None  # None: the rule has nothing to say about this month
Calculator = Callable[[Rule, date | None, Period, BedFacts], Outcome]


@dataclass(frozen=True, slots=True)
class PlannedRule:
    rule: Rule
    calculator: Calculator
    until: date | None  # the last day a line may cover (validity, pilot grace)


@dataclass(frozen=True, slots=True)
class MonthPlan:
    """What does not depend on the bed: the profile's per-bed rules valid in the month."""

    profile: SubsidyProfile
    period: Period
    rules: tuple[PlannedRule, ...]


def plan_month(profile: SubsidyProfile, period: Period) -> MonthPlan:
    planned = []
    for rule in profile.rules:
        calculator = _CALCULATORS.get(rule.kind)
        if calculator is None:
            continue  # provider-level rules (scale award, platform) and clawback
        if rule.valid_in(period.first_day, period.last_day):
            planned.append(PlannedRule(rule, calculator, _until(rule, profile)))
    return MonthPlan(profile, period, tuple(planned))


def calculate(profile: SubsidyProfile, period: Period, bed: BedFacts) -> Calculation:
    """The lines due for one bed in one month under a profile (rules in profile order)."""
    return calculate_planned(plan_month(profile, period), bed)


def calculate_planned(plan: MonthPlan, bed: BedFacts) -> Calculation:
    lines: list[Line] = []
    skipped: list[SkippedRule] = []
    pilot_block = _pilot_block(plan.profile, bed)
    period = plan.period
    for planned in plan.rules:
        rule = planned.rule
        if pilot_block is not None:
            skipped.append(SkippedRule(rule.kind, rule.id, pilot_block))
            continue
        outcome = planned.calculator(rule, planned.until, period, bed)
        if isinstance(outcome, Line):
            lines.append(outcome)
        elif outcome is not None:
            skipped.append(outcome)
    return Calculation(lines=tuple(lines), skipped=tuple(skipped))


def _pilot_block(profile: SubsidyProfile, bed: BedFacts) -> str | None:
    """Why nothing from this profile applies to the bed's contract, or None."""
    pilot = profile.pilot
    if pilot is None:
        return None
    if bed.contract_start is None:
        return "contract_start missing: cannot tell whether the contract was signed in the pilot"
    if bed.contract_start > pilot.signed_until:
        return (
            f"contract signed {bed.contract_start} after the pilot ended {pilot.ends_on}: "
            f"nothing from this profile ({pilot.citations[0].text})"
        )
    return None


def _until(rule: Rule, profile: SubsidyProfile) -> date | None:
    """The last day a line may cover: the rule's validity and the pilot's one-year grace."""
    ends = [d for d in (rule.valid_to, profile.pilot.kept_until if profile.pilot else None) if d]
    return min(ends) if ends else None


def _skip(rule: Rule, note: str) -> SkippedRule:
    return SkippedRule(rule.kind, rule.id, note)


def _missing(rule: Rule, bed: BedFacts, *names: str) -> SkippedRule | None:
    absent = [name for name in names if getattr(bed, name) is None]
    if absent:
        return _skip(rule, f"skipped: missing {', '.join(absent)}")
    return None


def _line(rule: Rule, amount: int, explanation: str, funding: tuple[FundingLeg, ...] = ()) -> Line:
    legs = funding or (FundingLeg(rule.funder, amount),)
    return Line(
        kind=rule.kind,  # type: ignore[arg-type]  # only line kinds reach here
        amount_fen=amount,
        payee="provider",
        rule=rule.id,
        seed=rule.seed,
        explanation=explanation,
        funding=legs,
    )


def construction(rule: Rule, until: date | None, period: Period, bed: BedFacts) -> Outcome:
    assert isinstance(rule, ConstructionRule)
    missing = _missing(rule, bed, "established_on", "contract_start", "contract_end")
    if missing:
        return missing
    assert bed.established_on is not None
    due_here = []
    for index, tranche in enumerate(rule.tranches, start=1):
        served_on = add_months(bed.established_on, tranche.after_months)
        if bed.accepted_on is None:
            if period.contains(served_on):
                return _skip(rule, "skipped: missing accepted_on (the bed is not accepted)")
            continue
        due = max(served_on, bed.accepted_on)
        if period.contains(due):
            due_here.append((index, tranche.after_months, served_on, due))
    if not due_here:
        return None
    missing = _missing(rule, bed, "construction_investment_fen")
    if missing:
        return missing
    assert bed.construction_investment_fen is not None
    assert bed.accepted_on is not None
    last_index, months, served_on, due = due_here[-1]
    last_service = bed.last_service_day()
    assert last_service is not None
    if last_service < day_before(due):
        return _skip(
            rule,
            f"not due: the bed's service ended {last_service}, before tranche {last_index} "
            f"fell due on {due}",
        )
    if until is not None and due > until:
        return _skip(rule, f"not due: tranche {last_index} falls due {due}, after {until}")
    total = min(bed.construction_investment_fen, rule.cap_fen)
    cumulative = _tranche_cumulative(rule, total, last_index)
    amount = cumulative - bed.construction_paid_fen
    arithmetic = (
        f"min(investment {yuan(bed.construction_investment_fen)}, cap {yuan(rule.cap_fen)}) = "
        f"{yuan(total)} yuan once per elder; tranche{'s' if len(due_here) > 1 else ''} "
        f"{', '.join(str(i) for i, *_ in due_here)} of {len(rule.tranches)} due {due} "
        f"(later of established {bed.established_on} + {months} months = {served_on} and "
        f"accepted {bed.accepted_on}): due so far {yuan(cumulative)} − paid before "
        f"{yuan(bed.construction_paid_fen)} = {yuan(max(amount, 0))} yuan"
    )
    if amount <= 0:
        return _skip(rule, f"nothing due: {arithmetic}")
    return _line(rule, amount, arithmetic)


def _tranche_cumulative(rule: ConstructionRule, total: int, through: int) -> int:
    """Tranches 1..through of `total`; the last tranche takes the rest so they add up."""
    if through >= len(rule.tranches):
        return total
    return sum(percent_of(total, t.percent) for t in rule.tranches[:through])


def low_income_service(rule: Rule, until: date | None, period: Period, bed: BedFacts) -> Outcome:
    assert isinstance(rule, LowIncomeServiceRule)
    missing = _missing(
        rule,
        bed,
        "birth_date",
        "ability_level",
        "economic_status",
        "package_fee_fen",
        "established_on",
        "contract_start",
        "contract_end",
    )
    if missing:
        return missing
    assert bed.package_fee_fen is not None
    age = bed.age_on(period.first_day)
    assert age is not None
    if age < rule.min_age:
        return _skip(rule, f"not eligible: age {age} on {period.first_day} < {rule.min_age}")
    if bed.ability_level not in rule.ability_in:
        return _skip(rule, f"not eligible: ability {bed.ability_level} not in {rule.ability_in}")
    if bed.economic_status not in rule.economic_status_in:
        return _skip(
            rule,
            f"not eligible: economic status {bed.economic_status} not in {rule.economic_status_in}",
        )
    days = active_days(bed, period, until=until)
    if days is None or days.empty:
        return None
    fee = prorate(bed.package_fee_fen, days.days, period.days)
    amount = min(fee, rule.cap_fen)
    return _line(
        rule,
        amount,
        f"age {age}, {bed.ability_level}, {bed.economic_status}: min(package "
        f"{yuan(bed.package_fee_fen)} × {days.days}/{period.days} active days = {yuan(fee)}, "
        f"cap {yuan(rule.cap_fen)}) = {yuan(amount)} yuan",
    )


def operating(rule: Rule, until: date | None, period: Period, bed: BedFacts) -> Outcome:
    assert isinstance(rule, OperatingRule)
    if rule.percent_of_package is None and rule.monthly_rate_fen is None:
        return _skip(rule, "skipped: the monthly operating rate is not configured (seed is silent)")
    missing = _missing(rule, bed, "accepted_on", "established_on", "contract_start", "contract_end")
    if missing:
        return missing
    days = active_days(bed, period, from_day=bed.accepted_on, until=until)
    if days is None or days.empty:
        return None
    share = Fraction(days.days, period.days)
    if rule.percent_of_package is not None:
        if bed.package_fee_fen is None:
            return _skip(rule, "skipped: missing package_fee_fen")
        amount = round_half_up(Fraction(bed.package_fee_fen * rule.percent_of_package, 100) * share)
        how = (
            f"{rule.percent_of_package} % of package {yuan(bed.package_fee_fen)} × "
            f"{days.days}/{period.days} active days since acceptance {bed.accepted_on}"
        )
    else:
        assert rule.monthly_rate_fen is not None
        amount = round_half_up(rule.monthly_rate_fen * share)
        how = (
            f"institution-bed rate {yuan(rule.monthly_rate_fen)} × {days.days}/{period.days} "
            f"active days since acceptance {bed.accepted_on}"
        )
    if amount <= 0:
        return None
    return _line(rule, amount, f"{how} = {yuan(amount)} yuan")


def modification(rule: Rule, until: date | None, period: Period, bed: BedFacts) -> Outcome:
    assert isinstance(rule, ModificationRule)
    if bed.accepted_on is None or not period.contains(bed.accepted_on):
        return None  # due once, in the month of acceptance
    if rule.cap_fen is None:
        return _skip(rule, "skipped: the city modification subsidy is not configured")
    missing = _missing(rule, bed, "modification_cost_fen")
    if missing:
        return missing
    assert bed.modification_cost_fen is not None
    if rule.requires_consent and bed.modification_consent is not True:
        state = "refused" if bed.modification_consent is False else "missing"
        return _skip(rule, f"not due: the elder's or family's modification consent is {state}")
    if until is not None and bed.accepted_on > until:
        return _skip(rule, f"not due: accepted {bed.accepted_on}, after {until}")
    base = min(bed.modification_cost_fen, rule.cap_fen)
    match = base * rule.district_match_ratio
    legs = [FundingLeg(rule.funder, base)]
    how = (
        f"accepted {bed.accepted_on}: min(cost {yuan(bed.modification_cost_fen)}, cap "
        f"{yuan(rule.cap_fen)}) = {yuan(base)}"
    )
    if match:
        legs.append(FundingLeg("district", match))
        how += f" + district 1:1 match {yuan(match)}"
    amount = base + match
    if amount <= 0:
        return None
    return _line(rule, amount, f"{how} = {yuan(amount)} yuan", tuple(legs))


def voucher_settlement(rule: Rule, until: date | None, period: Period, bed: BedFacts) -> Outcome:
    assert isinstance(rule, VoucherRule)
    days = active_days(bed, period, until=until)
    if days is None:
        return _missing(rule, bed, "established_on", "contract_start", "contract_end")
    if days.empty:
        return None
    voucher = bed.voucher_fen if bed.voucher_fen is not None else rule.monthly_voucher_fen
    if voucher is None:
        return _skip(rule, "skipped: missing voucher_fen (no monthly voucher configured)")
    if bed.services_delivered_fen is None:
        return _skip(rule, "skipped: missing services_delivered_fen")
    amount = min(voucher, bed.services_delivered_fen)
    how = (
        f"settled after service: min(voucher {yuan(voucher)}, verified services "
        f"{yuan(bed.services_delivered_fen)}) = {yuan(amount)} yuan; unspent "
        f"{yuan(voucher - amount)} lapses"
    )
    if amount <= 0:
        return _skip(rule, f"nothing due: {how}")
    return _line(rule, amount, how)


_CALCULATORS: dict[str, Calculator] = {
    "construction": construction,
    "low_income_service": low_income_service,
    "operating": operating,
    "modification": modification,
    "voucher_settlement": voucher_settlement,
}
