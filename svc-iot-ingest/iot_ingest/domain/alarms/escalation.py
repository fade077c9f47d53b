"""Escalation when nobody acts, and the 15-minute SLA, evaluated against a given `now`.

The SLA breach is the seed's rule (001 §四(三)2) and applies to every provider; the escalation
chain (whom to notify, after how long) is each provider's choice. The breach itself is decided by
`Alarm.breached_by` from the times (people's actions record it too); the sweep only catches the
alarms nobody touched after their deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.errors import Unprocessable
from iot_ingest.domain.alarms.lifecycle import ARRIVAL_WINDOW, Alarm, AlarmChange, ChangeKind


class Milestone(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ARRIVED = "arrived"


@dataclass(frozen=True)
class EscalationStep:
    level: int
    unmet: Milestone  # escalate if this has not happened ...
    after: timedelta  # ... this long after the raise
    notify: str  # role or office to alert, e.g. duty_manager, street_office


@dataclass(frozen=True)
class EscalationPolicy:
    steps: tuple[EscalationStep, ...]

    def __post_init__(self) -> None:
        levels = [step.level for step in self.steps]
        if len(set(levels)) != len(levels):
            raise Unprocessable([("steps", "escalation levels must be unique")])


DEFAULT_POLICY = EscalationPolicy(
    steps=(
        EscalationStep(1, Milestone.ACKNOWLEDGED, timedelta(minutes=2), "duty_manager"),
        EscalationStep(2, Milestone.ARRIVED, ARRIVAL_WINDOW, "street_office"),
    )
)


# The first instant after the deadline (datetimes count microseconds): when a breach can be told
BREACH_RESOLUTION = timedelta(microseconds=1)

REGULATOR = "street_office"  # the 15-minute rule's step: the street office hears of a breach


def require_regulator_step(policy: EscalationPolicy) -> None:
    """A provider may tune its chain but never drop the regulator's step: the street office is
    alerted when nobody arrived within 15 minutes (001 §四(三)2)."""
    if not any(
        step.notify == REGULATOR
        and step.unmet is Milestone.ARRIVED
        and step.after <= ARRIVAL_WINDOW
        for step in policy.steps
    ):
        raise Unprocessable(
            [
                (
                    "steps",
                    f"keep a step notifying {REGULATOR} when nobody arrived within 15 minutes "
                    "(001 §四(三)2)",
                )
            ]
        )


def _milestone_met(alarm: Alarm, milestone: Milestone) -> bool:
    if milestone is Milestone.ACKNOWLEDGED:
        return alarm.acknowledged_at is not None
    return alarm.arrived_at is not None


def check_escalations(alarm: Alarm, policy: EscalationPolicy, now: datetime) -> list[AlarmChange]:
    """Apply every escalation step and the SLA breach that are due at `now`; return the changes."""
    if not alarm.is_active:
        return []
    changes: list[AlarmChange] = []
    for step in sorted(policy.steps, key=lambda s: (s.after, s.level)):
        if step.level in alarm.escalated_levels or _milestone_met(alarm, step.unmet):
            continue
        due = alarm.raised_at + step.after
        if now < due:
            continue
        alarm.escalated_levels.append(step.level)
        changes.append(
            AlarmChange(
                ChangeKind.ESCALATED,
                due,
                escalation_target=step.notify,
                escalation_level=step.level,
                text=f"not {step.unmet.value} within {_minutes(step.after)}",
            )
        )
    breach = alarm.mark_breach(now)  # strictly after the deadline: 15:00 itself is in time
    if breach is not None:
        changes.append(breach)
    alarm.changes.extend(changes)
    return changes


def next_check_at(alarm: Alarm, policy: EscalationPolicy) -> datetime | None:
    """When `check_escalations` may next have something to do; None when nothing is pending."""
    if not alarm.is_active:
        return None
    candidates = [
        alarm.raised_at + step.after
        for step in policy.steps
        if step.level not in alarm.escalated_levels and not _milestone_met(alarm, step.unmet)
    ]
    if not alarm.sla_breached and alarm.arrived_at is None:
        candidates.append(alarm.arrival_deadline + BREACH_RESOLUTION)
    return min(candidates, default=None)


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} min"
