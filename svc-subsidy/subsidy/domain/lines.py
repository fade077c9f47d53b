"""What a calculation yields: the lines due (each explaining itself) and the rules skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subsidy.domain.policy import FunderLevel, LineKind

Payee = Literal["provider", "elder"]


@dataclass(frozen=True)
class FundingLeg:
    level: FunderLevel
    amount_fen: int


@dataclass(frozen=True)
class Line:
    kind: LineKind
    amount_fen: int
    payee: Payee
    rule: str
    seed: str
    explanation: str
    funding: tuple[FundingLeg, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.funding and sum(leg.amount_fen for leg in self.funding) != self.amount_fen:
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
