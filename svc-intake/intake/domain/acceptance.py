"""Acceptance (验收) as 001 §四(五) runs it: after a month of service the provider applies with the
service contract, the construction investment list (建设投入清单) and the service data list
(服务数据信息清单); civil affairs has street and community inspect at home together (共同入户验收);
the officer accepts, or returns the application with reasons and the provider applies again.

One application at a time per bed; each return closes an attempt and the next application opens
attempt n + 1. The steps are sub-steps of the bed's `accept` action: they exist while the bed is
established, and only the officer's `accept` moves the bed to accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chassis.errors import IllegalTransition
from chassis.principal import Role
from intake.domain.errors import InvalidAcceptance
from intake.domain.lifecycle import BED_ACTIONS, BedAction, BedStatus


class AcceptanceStatus(StrEnum):
    APPLIED = "applied"  # 提交验收申请
    INSPECTED = "inspected"  # 街道、社区共同入户验收
    ACCEPTED = "accepted"  # 验收通过
    RETURNED = "returned"  # 退回 (with reasons)


class AcceptanceStep(StrEnum):
    APPLY = "apply_acceptance"
    INSPECT = "record_inspection"
    ACCEPT = "accept"
    RETURN = "return_acceptance"


_S = AcceptanceStep
# Steps allowed by the bed's latest application (None: there is none yet).
STEPS: Mapping[AcceptanceStatus | None, tuple[AcceptanceStep, ...]] = {
    None: (_S.APPLY,),
    AcceptanceStatus.APPLIED: (_S.INSPECT, _S.RETURN),
    AcceptanceStatus.INSPECTED: (_S.ACCEPT, _S.RETURN),
    AcceptanceStatus.RETURNED: (_S.APPLY,),
    AcceptanceStatus.ACCEPTED: (),
}
TARGET: Mapping[AcceptanceStep, AcceptanceStatus] = {
    _S.APPLY: AcceptanceStatus.APPLIED,
    _S.INSPECT: AcceptanceStatus.INSPECTED,
    _S.ACCEPT: AcceptanceStatus.ACCEPTED,
    _S.RETURN: AcceptanceStatus.RETURNED,
}
STEP_ROLES: Mapping[str, frozenset[Role]] = {
    _S.APPLY: frozenset({Role.PROVIDER_ADMIN}),
    _S.INSPECT: frozenset({Role.OFFICER}),
    _S.ACCEPT: frozenset({Role.OFFICER}),
    _S.RETURN: frozenset({Role.OFFICER}),
}
OPEN = frozenset({AcceptanceStatus.APPLIED, AcceptanceStatus.INSPECTED})


@dataclass(frozen=True)
class InvestmentItem:
    category: str
    description: str
    amount_fen: int


def bed_allows_acceptance(bed_status: BedStatus) -> bool:
    return BedAction.ACCEPT in BED_ACTIONS[bed_status]


def next_status(
    bed_status: BedStatus, latest: AcceptanceStatus | None, step: AcceptanceStep
) -> AcceptanceStatus:
    """The application's status after `step`; `IllegalTransition` (409) if not allowed now."""
    if not bed_allows_acceptance(bed_status):
        raise IllegalTransition(
            entity="bed",
            state=bed_status.value,
            action=step.value,
            allowed_actions=[a.value for a in BED_ACTIONS[bed_status]],
        )
    allowed = STEPS[latest]
    if step not in allowed:
        raise IllegalTransition(
            entity="acceptance application",
            state=latest.value if latest else "none",
            action=step.value,
            allowed_actions=[s.value for s in allowed],
        )
    return TARGET[step]


def step_problems(latest: AcceptanceStatus | None, *, attempt: int | None) -> dict[str, list[str]]:
    """Why each step the application does not allow now is blocked (for `blocked_actions`)."""
    open_one = f"needs: no open acceptance application (attempt {attempt} is {latest})"
    waiting = "needs: an acceptance application awaiting inspection (apply_acceptance)"
    problems: dict[str, list[str]] = {
        _S.APPLY: [open_one] if latest in OPEN else [],
        _S.INSPECT: [] if latest is AcceptanceStatus.APPLIED else [waiting],
        _S.RETURN: [] if latest in OPEN else ["needs: an open acceptance application"],
    }
    if latest is AcceptanceStatus.APPLIED:
        problems[_S.ACCEPT] = [
            "needs: the joint inspection at home by street and community (001 §四(五))"
        ]
    elif latest is not AcceptanceStatus.INSPECTED:
        problems[_S.ACCEPT] = ["needs: an acceptance application (apply_acceptance)"]
    return {step: unmet for step, unmet in problems.items() if unmet}


def check_application(
    *,
    investment: Sequence[InvestmentItem],
    total_fen: int,
    period_start: date,
    period_end: date,
    established_on: date,
    today: date,
) -> None:
    """The investment total is the sum of its lines; the service period lies within the bed's
    service so far. `InvalidAcceptance` (422) names each field that does not hold."""
    problems: list[tuple[str, str]] = []
    lines_total = sum(item.amount_fen for item in investment)
    if total_fen != lines_total:
        problems.append(
            ("investment.total_fen", f"is {total_fen}, the lines add up to {lines_total} fen")
        )
    if period_start < established_on:
        problems.append(
            ("service_data.period_start", f"lies before the bed was established ({established_on})")
        )
    if period_end > today:
        problems.append(("service_data.period_end", f"lies after today ({today})"))
    if period_end < period_start:
        problems.append(("service_data.period_end", "lies before period_start"))
    if problems:
        raise InvalidAcceptance(problems)


def check_inspection(*, inspected_on: date, applied_on: date, today: date) -> None:
    problems = []
    if inspected_on > today:
        problems.append(("inspected_on", f"lies after today ({today})"))
    if inspected_on < applied_on:
        problems.append(("inspected_on", f"lies before the application ({applied_on})"))
    if problems:
        raise InvalidAcceptance(problems)
