"""Bed rules: establish (建床), the month of service before acceptance (验收), suspend/resume,
terminate (撤床), transfer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chassis.errors import PreconditionFailed
from intake.domain.contract_term import dissolution_day, update_deadline
from intake.domain.dates import add_months
from intake.domain.errors import EventDateOutOfRange
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.domain.policy import PolicyProfile
from intake.domain.working_days import Deadline


class TerminationReason(StrEnum):
    DEATH = "death"  # 去世
    MOVED = "moved"  # 变更居住地
    LONG_HOSPITAL_STAY = "long_hospital_stay"  # 住院
    CONTRACT_END = "contract_end"  # 合同到期, recorded by the parties
    TRANSFERRED = "transferred"  # set by `transfer`, not chosen in `terminate`
    CONTRACT_EXPIRED = "contract_expired"  # set by the expiry sweep: ended unrenewed


@dataclass(frozen=True)
class Installation:
    """One line of the installation checklist; smart devices are confirmed by iot-ingest."""

    item_id: str
    kind: str  # modification | smart_device
    device_type: str | None
    count: int
    confirmed: bool


@dataclass(frozen=True)
class ChangeOutcome:
    """Termination or transfer: the new status, the contract's dissolution day and the
    platform-update deadline counted from it."""

    status: BedStatus
    reason: TerminationReason
    event_date: date
    contract_dissolved_on: date
    update_deadline: Deadline
    late: bool


def missing_devices(profile: PolicyProfile, installed: Sequence[Installation]) -> list[str]:
    """Required device groups with no confirmed, installed device of theirs."""
    confirmed = {i.device_type for i in installed if i.confirmed and i.count > 0}
    return [
        f"{group.id}: one of {', '.join(group.any_of)} installed and confirmed "
        f"({group.citation.text})"
        for group in profile.required_devices
        if not confirmed.intersection(group.any_of)
    ]


def establish_problems(
    *,
    profile: PolicyProfile,
    has_care_plan: bool,
    has_signed_contract: bool,
    installed: Sequence[Installation],
) -> list[str]:
    """What establishing still needs (empty: nothing)."""
    problems = []
    if not has_care_plan:
        problems.append("a care plan is recorded")
    if not has_signed_contract:
        problems.append("a signed contract is recorded")
    problems += missing_devices(profile, installed)
    return [f"needs: {p}" for p in problems]


def check_establish(
    status: BedStatus,
    *,
    profile: PolicyProfile,
    has_care_plan: bool,
    has_signed_contract: bool,
    installed: Sequence[Installation],
) -> None:
    check_bed_action(status, BedAction.ESTABLISH)
    problems = establish_problems(
        profile=profile,
        has_care_plan=has_care_plan,
        has_signed_contract=has_signed_contract,
        installed=installed,
    )
    if problems:
        raise PreconditionFailed(action="establish", problems=problems)


def earliest_acceptance(profile: PolicyProfile, *, established_on: date) -> date:
    """The first day acceptance is allowed: established + the profile's minimum months."""
    return add_months(established_on, profile.lifecycle.acceptance_min_service_months)


def accept_problems(profile: PolicyProfile, *, established_on: date, on: date) -> list[str]:
    """Acceptance only after the minimum months of service (001 §四(五): 满 1 个月)."""
    months = profile.lifecycle.acceptance_min_service_months
    earliest = earliest_acceptance(profile, established_on=established_on)
    if on >= earliest:
        return []
    cite = profile.lifecycle.acceptance_citation.text
    return [f"acceptance needs {months} month(s) of service: earliest {earliest} ({cite})"]


def resume_status(status: BedStatus, *, accepted: bool) -> BedStatus:
    """Resume returns to where the bed was: accepted if it had been accepted."""
    check_bed_action(status, BedAction.RESUME)
    return BedStatus.ACCEPTED if accepted else BedStatus.ESTABLISHED


def terminate(
    status: BedStatus,
    *,
    profile: PolicyProfile,
    reason: TerminationReason,
    event_date: date,
    recorded_on: date,
    bed_since: date,
    contract_dissolved_on: date | None = None,
) -> ChangeOutcome:
    """撤床: the platform must be updated within N working days of the contract's dissolution
    (001 §四(六)); the dissolution is the event day unless another day is given.

    `bed_since` is the first day the bed existed (its established date, or the approval date of a
    bed still in preparation): an event before it, or after today, is refused (422).
    """
    check_bed_action(status, BedAction.TERMINATE)
    if reason is TerminationReason.TRANSFERRED:
        raise PreconditionFailed(action="terminate", problems=["use transfer for a transfer"])
    if reason is TerminationReason.CONTRACT_EXPIRED:
        raise PreconditionFailed(
            action="terminate", problems=["contract_expired is set by the expiry sweep"]
        )
    return _change(
        BedStatus.TERMINATED,
        profile,
        reason,
        event_date,
        recorded_on,
        bed_since,
        contract_dissolved_on,
    )


def transfer(
    status: BedStatus,
    *,
    profile: PolicyProfile,
    event_date: date,
    recorded_on: date,
    bed_since: date,
    contract_dissolved_on: date | None = None,
) -> ChangeOutcome:
    """转养: the bed ends on the elder's admission elsewhere (`event_date`); referral paths that
    do not end the bed never come here (`intake.domain.referral`)."""
    check_bed_action(status, BedAction.TRANSFER)
    return _change(
        BedStatus.TRANSFERRED,
        profile,
        TerminationReason.TRANSFERRED,
        event_date,
        recorded_on,
        bed_since,
        contract_dissolved_on,
    )


def expire(
    status: BedStatus, *, profile: PolicyProfile, contract_end: date, recorded_on: date
) -> ChangeOutcome:
    """A contract that ended unrenewed ends the bed: it dissolved itself on its last day, and the
    platform update counts from that day (001 §四(六))."""
    check_bed_action(status, BedAction.TERMINATE)
    return _change(
        BedStatus.TERMINATED,
        profile,
        TerminationReason.CONTRACT_EXPIRED,
        contract_end,
        recorded_on,
        contract_end,
        contract_end,
    )


def _change(
    target: BedStatus,
    profile: PolicyProfile,
    reason: TerminationReason,
    event_date: date,
    recorded_on: date,
    bed_since: date,
    contract_dissolved_on: date | None,
) -> ChangeOutcome:
    if event_date > recorded_on:
        raise EventDateOutOfRange(f"lies after today ({recorded_on})")
    if event_date < bed_since:
        raise EventDateOutOfRange(f"lies before the bed existed (since {bed_since})")
    dissolved = dissolution_day(
        event_date=event_date, dissolved_on=contract_dissolved_on, recorded_on=recorded_on
    )
    deadline = update_deadline(profile, dissolved_on=dissolved)
    return ChangeOutcome(
        status=target,
        reason=reason,
        event_date=event_date,
        contract_dissolved_on=dissolved,
        update_deadline=deadline,
        late=deadline.is_late(recorded_on),
    )
