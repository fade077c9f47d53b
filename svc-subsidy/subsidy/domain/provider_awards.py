"""Provider-level awards — the platform subsidy (002 §八3, once per provider) and each tier of
the scale award (002 §八2, once per tier) — settled exactly once, late facts included.

An award belongs to a month, its *natural* month: the month the platform passed acceptance, the
month the tier's earliest reaching window ends. One settlement of the provider settles it and
*claims* it (one claim per provider, jurisdiction, kind and award, a database key):
- the settlement of its natural month while that month is open (no settlement yet, or a draft);
- once that month's settlement is past draft without it (the fact arrived or was recorded after
  the month was submitted or approved), the next open settlement: a later month with no draft
  settlement of the provider between — an **adjustment** line (`for_period` = the natural month)
  saying where it comes from. Late facts after approval become adjustments in the next period,
  never edits (issue 14 item 4; the seed it extends: 002 §八2, §八3 — interpretation).
A claim stays with its settlement: its re-runs keep it, a re-run where the award is no longer
due releases it, a settlement past draft is never re-run. Whatever the runs, crashes and their
order, an award is on one settlement only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from subsidy.domain.lines import Line
from subsidy.domain.periods import Period
from subsidy.domain.policy import LineKind

PROVIDER_LEVEL = ""  # the bed and elder of a provider-level line: none
PLATFORM_AWARD = "once"  # the platform subsidy's one award per provider

ClaimKey = tuple[str, str]  # (kind, award): ("platform", "once"), ("scale_award", "tier-2")
OPEN = "draft"


def tier_award(tier: int) -> str:
    return f"tier-{tier}"


@dataclass(frozen=True)
class Award:
    """An award due to a provider: what it is, the month it belongs to, the fact it rests on."""

    kind: LineKind
    award: str
    natural: Period

    @property
    def claim(self) -> ClaimKey:
        return (self.kind, self.award)


def may_claim(natural: Period, period: Period, statuses: Mapping[str, str]) -> bool:
    """Whether the settlement of `period` may take an unclaimed award of `natural`'s month.
    `statuses`: the provider's settlements in the jurisdiction, month → status."""
    if period == natural:
        return True
    if period < natural or statuses.get(str(natural), OPEN) == OPEN:
        return False  # its own month is still open (or not run yet): it settles there
    first, last = str(natural), str(period)
    return not any(first < month < last and status == OPEN for month, status in statuses.items())


def is_due(
    award: Award,
    period: Period,
    *,
    this: str,
    claims: Mapping[ClaimKey, str],
    statuses: Mapping[str, str],
) -> bool:
    """Due in the settlement `this` (of `period`): it holds the claim already, or the award is
    unclaimed and this settlement may take it."""
    if award.natural > period:
        return False
    owner = claims.get(award.claim)
    if owner is not None:
        return owner == this
    return may_claim(award.natural, period, statuses)


def next_open_period(natural: Period, statuses: Mapping[str, str]) -> Period:
    """Where an award of `natural`'s month would settle now: its own month while open, else the
    first later month whose settlement is a draft, else the month after the provider's last
    settlement (the next one to be run)."""
    if statuses.get(str(natural), OPEN) == OPEN:
        return natural
    later = sorted(month for month in statuses if month > str(natural))
    for month in later:
        if statuses[month] == OPEN:
            return Period.parse(month)
    return Period.parse(later[-1] if later else str(natural)).shifted(1)


def settled_as(line: Line, natural: Period, period: Period, fact: str) -> Line:
    """The line as settled in `period`: unchanged in its own month; in a later one an
    adjustment saying where it comes from (the month, the fact and its date, rule and seed)."""
    if natural == period:
        return line
    return Line(
        kind=line.kind,
        amount_fen=line.amount_fen,
        payee=line.payee,
        rule=line.rule,
        seed=line.seed,
        explanation=(
            f"adjustment of {natural} (late fact: {fact}; the {natural} settlement was closed "
            f"without it, settled in {period} under {line.rule}, {line.seed}): "
            f"{line.explanation}"
        ),
        funding=line.funding,
    )
