"""A threshold rule: raise when its condition holds, clear (with hysteresis) when another does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarm_types import ALARM_TYPES, AlarmType
from iot_ingest.domain.rules.conditions import (
    CompiledLeaves,
    Condition,
    HoldsCheck,
    LeafState,
    compile_holds,
    compile_leaves,
    describe,
    metrics_of,
    update_compiled,
)


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    rule_id: str
    alarm_type: AlarmType
    raise_when: Condition
    # hysteresis: the alarm clears only when this holds; None clears as soon as raise_when fails
    clear_when: Condition | None = None
    severity: AlarmSeverity | None = None
    citation: str = ""

    @property
    def effective_severity(self) -> AlarmSeverity:
        return self.severity or ALARM_TYPES[self.alarm_type].severity

    @property
    def effective_citation(self) -> str:
        return self.citation or ALARM_TYPES[self.alarm_type].citation


class RuleState(msgspec.Struct):
    active: bool = False
    raise_leaves: dict[int, LeafState] = msgspec.field(default_factory=dict)
    clear_leaves: dict[int, LeafState] = msgspec.field(default_factory=dict)
    changed_at: datetime | None = None


class SignalKind(StrEnum):
    RAISE = "raise"
    CLEAR = "clear"


@dataclass(frozen=True)
class RuleSignal:
    """The engine's output: raise or clear an alarm of a type on a bed."""

    kind: SignalKind
    bed_id: str
    rule_id: str
    alarm_type: AlarmType
    severity: AlarmSeverity
    at: datetime
    citation: str
    detail: str


@dataclass(frozen=True)
class CompiledRule:
    """A rule with the metrics it watches, its leaves per metric and its conditions' checks,
    computed once (the engine feeds every reading of a watched metric to it)."""

    rule: Rule
    metrics: frozenset[str]
    raise_leaves: CompiledLeaves
    clear_leaves: CompiledLeaves
    raise_holds: HoldsCheck
    clear_holds: HoldsCheck | None

    @classmethod
    def of(cls, rule: Rule) -> CompiledRule:
        watched = metrics_of(rule.raise_when)
        if rule.clear_when is not None:
            watched |= metrics_of(rule.clear_when)
        return cls(
            rule=rule,
            metrics=watched,
            raise_leaves=compile_leaves(rule.raise_when),
            clear_leaves={} if rule.clear_when is None else compile_leaves(rule.clear_when),
            raise_holds=compile_holds(rule.raise_when),
            clear_holds=None if rule.clear_when is None else compile_holds(rule.clear_when),
        )

    def observe(
        self,
        state: RuleState,
        bed_id: str,
        metric: str,
        value: float,
        at: datetime,
        stale_after: timedelta,
    ) -> RuleSignal | None:
        """Feed one reading; return a signal when the rule's alarm state flips."""
        if metric not in self.metrics:
            return None
        rule = self.rule
        update_compiled(self.raise_leaves.get(metric, ()), state.raise_leaves, value, at)
        clear_check = self.clear_holds
        if clear_check is not None:
            update_compiled(self.clear_leaves.get(metric, ()), state.clear_leaves, value, at)
        raise_holds = self.raise_holds(state.raise_leaves, at, stale_after)
        if not state.active:
            if not raise_holds:
                return None
            state.active, state.changed_at = True, at
            return self._signal(SignalKind.RAISE, bed_id, at, describe(rule.raise_when))
        if clear_check is None:
            clear_holds = not raise_holds
        else:
            clear_holds = clear_check(state.clear_leaves, at, stale_after)
        if not clear_holds:
            return None
        state.active, state.changed_at = False, at
        state.raise_leaves.clear()  # a new alarm needs the full duration / streak again
        if rule.clear_when is not None:
            detail = describe(rule.clear_when)
        else:
            detail = f"not {describe(rule.raise_when)}"
        return self._signal(SignalKind.CLEAR, bed_id, at, detail)

    def _signal(self, kind: SignalKind, bed_id: str, at: datetime, detail: str) -> RuleSignal:
        return RuleSignal(
            kind=kind,
            bed_id=bed_id,
            rule_id=self.rule.rule_id,
            alarm_type=self.rule.alarm_type,
            severity=self.rule.effective_severity,
            at=at,
            citation=self.rule.effective_citation,
            detail=detail,
        )


class BedRuleOverrides(msgspec.Struct, frozen=True, kw_only=True):
    """Per-bed adjustments from the care plan: replaced or added rules, disabled rule ids."""

    rules: tuple[Rule, ...] = ()
    disabled: tuple[str, ...] = ()
    inactivity_hours: float | None = None
    bed_exit_return_minutes: float | None = None


@dataclass(frozen=True)
class RuleBook:
    defaults: tuple[Rule, ...]

    def rules_for(self, overrides: BedRuleOverrides | None = None) -> tuple[CompiledRule, ...]:
        """Defaults, with rules of the same id replaced, new ones added, disabled ones dropped."""
        by_id = {rule.rule_id: rule for rule in self.defaults}
        if overrides is not None:
            for rule in overrides.rules:
                by_id[rule.rule_id] = rule
            for rule_id in overrides.disabled:
                by_id.pop(rule_id, None)
        return tuple(CompiledRule.of(rule) for rule in by_id.values())
