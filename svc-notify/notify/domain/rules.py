"""Rules: which event notifies whom, with which template, at which step of an escalation chain.

Rules are data (`notify/policies/rules.yaml`); this module says what a rule means. An alarm's
chain belongs to iot-ingest (its escalation policy decides when a step is due and publishes
`alarm.escalated`); notify turns each step into deliveries, repeats the step until someone
acknowledges, and stops at once on acknowledgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChainRole(StrEnum):
    START = "start"  # opens an alarm's chain at `step` (alarm.raised)
    ESCALATE = "escalate"  # moves the chain to the event's escalation level + 1
    NONE = "none"  # a one-off notification, no chain (breaches, deadlines, reports)


class AudienceKind(StrEnum):
    ON_CALL = "on_call"  # the provider's on-call holder of a role label (e.g. on_call:caregiver)
    ESCALATION_TARGET = "escalation_target"  # the label the event names (alarm.escalated)
    ASSIGNEE = "assignee"  # the person the event names as assignee
    FAMILY = "family"  # the bed's family contacts
    OFFICERS = "officers"  # officers whose regions hold the bed (street office)
    MONITORING_CENTRE = "monitoring_centre"  # the provider's monitoring-centre screen


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    label: str | None = None  # the role label of on_call

    @classmethod
    def parse(cls, text: str) -> Audience:
        kind, _, label = text.partition(":")
        audience = cls(AudienceKind(kind), label or None)
        if (audience.kind is AudienceKind.ON_CALL) != (audience.label is not None):
            raise ValueError(f"audience {text!r}: on_call takes a role label, the others none")
        return audience


@dataclass(frozen=True)
class Rule:
    id: str
    topic: str
    event_types: tuple[str, ...]
    audience: tuple[Audience, ...]
    template: str
    chain: ChainRole = ChainRole.NONE
    step: int = 1
    repeat_minutes: int | None = None  # repeat the step until acknowledged (chains only)
    # a rule only for some values of the payload, e.g. {"rule": "daily_visit"}; a list in the
    # payload matches when it holds the value ({"escalate_to": "officer"})
    when: tuple[tuple[str, str], ...] = ()
    enabled: bool = True

    def matches(self, topic: str, event_type: str, data: Mapping[str, Any]) -> bool:
        if not self.enabled or topic != self.topic or event_type not in self.event_types:
            return False
        return all(_holds(data.get(name), value) for name, value in self.when)

    def step_of(self, data: Mapping[str, Any]) -> int:
        """The chain step an event stands for: the rule's, or the escalation level + 1."""
        if self.chain is ChainRole.ESCALATE:
            level = data.get("escalation_level")
            return int(level) + 1 if isinstance(level, int) else self.step
        return self.step


def _holds(actual: Any, wanted: str) -> bool:
    """A payload value equals the wanted one; a list of values contains it."""
    if isinstance(actual, list | tuple):
        return wanted in {str(item) for item in actual}
    return str(actual) == wanted


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    safety_alarm_types: frozenset[str]
    # escalation targets that still go out after an acknowledgement: the 15-minute arrival
    # rule's regulator is told that nobody arrived even when someone acknowledged
    after_acknowledgement_targets: frozenset[str]
    # events that end an alarm's chain (no more repeats, no more steps)
    chain_stops: frozenset[str]
    officer_targets: frozenset[str]  # labels that mean the bed's region's officers

    def matching(self, topic: str, event_type: str, data: Mapping[str, Any]) -> list[Rule]:
        return [rule for rule in self.rules if rule.matches(topic, event_type, data)]

    def is_safety(self, alarm_type: str | None) -> bool:
        return alarm_type is not None and alarm_type in self.safety_alarm_types

    def topics(self) -> set[str]:
        return {rule.topic for rule in self.rules if rule.enabled}
