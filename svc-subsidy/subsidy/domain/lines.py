"""What a calculation yields: the lines due (each explaining itself) and the rules skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from subsidy.domain.policy import FunderLevel, LineKind

Payee = Literal["provider", "elder"]


class FundingLeg(NamedTuple):
    """Who pays how much of a line. A plain tuple: a county month builds ~10⁵ of them."""

    level: FunderLevel
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    amount_fen: int
    payee: Payee
    rule: str
    seed: str
    explanation: str
    funding: tuple[FundingLeg, ...] = field(default=())

    def __post_init__(self) -> None:
        funding = self.funding
        if not funding:
            return
        # one leg for most lines: no generator to sum (a county month builds ~10⁵ lines)
        total = funding[0].amount_fen if len(funding) == 1 else sum(g.amount_fen for g in funding)
        if total != self.amount_fen:
            raise ValueError(f"{self.rule}: funding legs do not add up to the line")


@dataclass(frozen=True)
class SkippedRule:
    kind: str
    rule: str
    note: str


@dataclass(frozen=True)
class Calculation:
    lines: tuple[Line, ...]
    skipped: tuple[SkippedRule, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)
