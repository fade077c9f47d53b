"""The eligibility engine: a profile's rules evaluated against an elder's facts on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from intake.domain.conditions import AGE_FACT, Facts, Verdict, evaluate
from intake.domain.dates import age_on
from intake.domain.policy import PolicyProfile, Rule


@dataclass(frozen=True)
class RuleOutcome:
    id: str
    title: str
    passed: bool
    known: bool  # False: a fact it needs is missing (unknown, not failed)
    citation: str
    basis: str
    reason: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class EligibilityResult:
    jurisdiction: str
    as_of: date
    eligible: bool
    priority: bool
    unmet: tuple[str, ...]  # every rule not passed: failed or pending
    pending: tuple[str, ...]  # rules that cannot be decided yet (a fact is missing)
    rules: tuple[RuleOutcome, ...]
    priority_rules: tuple[RuleOutcome, ...]
    age: int | None

    @property
    def failed(self) -> tuple[str, ...]:
        """Rules that are decided and not met."""
        return tuple(rule for rule in self.unmet if rule not in self.pending)

    @property
    def status(self) -> str:
        """`eligible`, `ineligible` (a rule failed) or `pending` (only unknowns remain)."""
        if self.eligible:
            return "eligible"
        return "ineligible" if self.failed else "pending"


def evaluate_eligibility(profile: PolicyProfile, facts: Facts, *, as_of: date) -> EligibilityResult:
    """Every eligibility rule must pass; priority (e.g. low income) only counts when eligible."""
    age = _age(facts, as_of)
    outcomes = tuple(_outcome(rule, facts, age) for rule in profile.eligibility)
    priority_outcomes = tuple(_outcome(rule, facts, age) for rule in profile.priority)
    eligible = all(o.passed for o in outcomes)
    return EligibilityResult(
        jurisdiction=profile.jurisdiction,
        as_of=as_of,
        eligible=eligible,
        priority=eligible and any(o.passed for o in priority_outcomes),
        unmet=tuple(o.id for o in outcomes if not o.passed),
        pending=tuple(o.id for o in outcomes if not o.known),
        rules=outcomes,
        priority_rules=priority_outcomes,
        age=age,
    )


def _age(facts: Facts, as_of: date) -> int | None:
    if facts.birth_date is None or facts.birth_date > as_of:
        return None
    return age_on(facts.birth_date, as_of)


def _outcome(rule: Rule, facts: Facts, age: int | None) -> RuleOutcome:
    verdict = evaluate(rule.when, facts, age)
    if facts.birth_date is not None and age is None and AGE_FACT in verdict.missing:
        reason = "birth_date lies after as_of"
    else:
        reason = _reason(verdict)
    return RuleOutcome(
        id=rule.id,
        title=rule.title,
        passed=verdict.value is True,
        known=verdict.value is not None,
        citation=rule.citation.text,
        basis=rule.basis,
        reason=reason,
        missing=verdict.missing,
    )


def _reason(verdict: Verdict) -> str:
    if verdict.value is True:
        return "; ".join(verdict.met)
    parts = []
    if verdict.missing:
        parts.append("missing fact: " + ", ".join(verdict.missing))
    if verdict.unmet:
        parts.append("; ".join(verdict.unmet))
    return "; ".join(parts)
