"""The pure part of a settlement run: the month's lines for a provider's beds, and the
adjustments of earlier months whose facts changed after they were settled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from subsidy.domain.calculators import calculate_planned, plan_month
from subsidy.domain.facts import BedFacts
from subsidy.domain.lines import FundingLeg, Line
from subsidy.domain.money import yuan
from subsidy.domain.periods import Period
from subsidy.domain.policy import SubsidyProfile
from subsidy.domain.settlement import SettledLine, ordered


class BedInput(NamedTuple):
    """A bed of the run with its facts for the month (a tuple: ~10⁵ built a county month, a
    frozen dataclass' `__init__` costs four `object.__setattr__` each)."""

    bed_id: str
    elder_id: str
    facts: BedFacts
    payments_suspended: bool = False


@dataclass(frozen=True)
class RunNote:
    bed_id: str
    note: str


@dataclass(frozen=True)
class MonthResult:
    lines: list[SettledLine]
    notes: list[RunNote]


def settle_month(profile: SubsidyProfile, period: Period, beds: Sequence[BedInput]) -> MonthResult:
    """One line per (elder, month, kind): an elder's second bed gets no line of a kind the first
    already has (and a note for the anomaly report); suspended payments give no lines."""
    lines: dict[tuple[str, str, str], SettledLine] = {}
    notes: list[RunNote] = []
    plan = plan_month(profile, period)
    month = str(period)
    for bed in sorted(beds, key=lambda b: (b.facts.established_on or period.last_day, b.bed_id)):
        if bed.payments_suspended:
            notes.append(RunNote(bed.bed_id, "payments suspended after a clawback"))
            continue
        for line in calculate_planned(plan, bed.facts).lines:
            settled = SettledLine(bed.bed_id, bed.elder_id, month, line)
            if settled.key in lines:
                other = lines[settled.key].bed_id
                notes.append(
                    RunNote(bed.bed_id, f"{line.kind}: elder already has it on bed {other}")
                )
                continue
            lines[settled.key] = settled
    return MonthResult(lines=ordered(lines.values()), notes=notes)


def adjustment_lines(
    profile: SubsidyProfile,
    recomputed: Mapping[tuple[str, str], BedInput],
    settled: Mapping[tuple[str, str], Sequence[SettledLine]],
) -> list[SettledLine]:
    """For each re-opened (bed, month): what the month's lines would be now, minus what was
    settled for it (adjustments included); a difference is a line of the current settlement
    accounting for that month. Never an edit of the approved one."""
    return one_per_elder(adjustment_candidates(profile, recomputed, settled))


def adjustment_candidates(
    profile: SubsidyProfile,
    recomputed: Mapping[tuple[str, str], BedInput],
    settled: Mapping[tuple[str, str], Sequence[SettledLine]],
) -> list[SettledLine]:
    """The differences per (bed, month, kind), before the claims decide which settlement
    carries each (`domain/bed_adjustments.py`) and before one per elder is kept."""
    found: list[SettledLine] = []
    plans = {m: plan_month(profile, Period.parse(m)) for _, m in recomputed}
    for (bed_id, month), bed in sorted(recomputed.items()):
        if bed.payments_suspended:
            continue  # clawed back: the clawback settled it, no adjustment either way
        now_lines = list(calculate_planned(plans[month], bed.facts).lines)
        before: dict[str, list[Line]] = defaultdict(list)
        for old in settled.get((bed_id, month), ()):
            before[old.line.kind].append(old.line)
        after: dict[str, Line] = {line.kind: line for line in now_lines}
        for kind in sorted(set(before) | set(after)):
            adjustment = _adjustment(month, after.get(kind), before.get(kind, []))
            if adjustment is not None:
                found.append(SettledLine(bed_id, bed.elder_id, month, adjustment))
    return found


def one_per_elder(lines: Sequence[SettledLine]) -> list[SettledLine]:
    """One line per (elder, month, kind): an elder's other bed gives way (the first in
    (bed, month) order keeps it)."""
    merged: dict[tuple[str, str, str], SettledLine] = {}
    for settled_line in lines:
        merged.setdefault(settled_line.key, settled_line)
    return ordered(merged.values())


def _adjustment(month: str, now: Line | None, before: Sequence[Line]) -> Line | None:
    settled_fen = sum(line.amount_fen for line in before)
    now_fen = now.amount_fen if now else 0
    delta = now_fen - settled_fen
    if delta == 0:
        return None
    levels: dict[str, int] = defaultdict(int)
    for leg in now.funding if now else ():
        levels[leg.level] += leg.amount_fen
    for line in before:
        for leg in line.funding:
            levels[leg.level] -= leg.amount_fen
    legs = tuple(FundingLeg(level, amount) for level, amount in sorted(levels.items()) if amount)  # type: ignore[arg-type]
    source = now or before[-1]
    reason = now.explanation if now else "no longer due"
    return Line(
        kind=source.kind,
        amount_fen=delta,
        payee=source.payee,
        rule=source.rule,
        seed=source.seed,
        explanation=(
            f"adjustment of {month}: due now {yuan(now_fen)} − settled {yuan(settled_fen)} = "
            f"{yuan(delta)} yuan ({reason})"
        ),
        funding=legs,
    )
