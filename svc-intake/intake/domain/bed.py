"""Bed rules: establish (建床), the month of service before acceptance (验收), suspend/resume,
terminate (撤床), transfer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chassis.errors import PreconditionFailed
from intake.domain.dates import add_months
from intake.domain.errors import EventDateOutOfRange
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.domain.policy import PolicyProfile
from intake.domain.working_days import Deadline, add_working_days


class TerminationReason(StrEnum):
    DEATH = "death"  # 去世
    MOVED = "moved"  # 变更居住地
    LONG_HOSPITAL_STAY = "long_hospital_stay"  # 住院
    CONTRACT_END = "contract_end"  # 合同到期
    TRANSFERRED = "transferred"  # set by `transfer`, not chosen in `terminate`


class TransferTarget(StrEnum):
    FAMILY_SICKBED = "family_sickbed"  # 家庭病床 (000 §三(五))
    INSTITUTION = "institution"  # 养老机构 (000 §三(五), 003 §四.5)
    HOSPITAL = "hospital"  # 合作医院 (004 §二(四)1)


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
    """Termination or transfer: the new status and the platform-update deadline."""

    status: BedStatus
    reason: TerminationReason
    event_date: date
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
) -> ChangeOutcome:
    """撤床: the platform must be updated within N working days of the event (001 §四(六)).

    `bed_since` is the first day the bed existed (its established date, or the approval date of a
    bed still in preparation): an event before it, or after today, is refused (422).
    """
    check_bed_action(status, BedAction.TERMINATE)
    if reason is TerminationReason.TRANSFERRED:
        raise PreconditionFailed(action="terminate", problems=["use transfer for a transfer"])
    return _change(BedStatus.TERMINATED, profile, reason, event_date, recorded_on, bed_since)


def transfer(
    status: BedStatus,
    *,
    profile: PolicyProfile,
    event_date: date,
    recorded_on: date,
    bed_since: date,
) -> ChangeOutcome:
    """转介转养: the bed ends here; the referral service takes the elder on."""
    check_bed_action(status, BedAction.TRANSFER)
    return _change(
        BedStatus.TRANSFERRED,
        profile,
        TerminationReason.TRANSFERRED,
        event_date,
        recorded_on,
        bed_since,
    )


def _change(
    target: BedStatus,
    profile: PolicyProfile,
    reason: TerminationReason,
    event_date: date,
    recorded_on: date,
    bed_since: date,
) -> ChangeOutcome:
    if event_date > recorded_on:
        raise EventDateOutOfRange(f"lies after today ({recorded_on})")
    if event_date < bed_since:
        raise EventDateOutOfRange(f"lies before the bed existed (since {bed_since})")
    deadline = add_working_days(event_date, profile.lifecycle.update_working_days)
    return ChangeOutcome(
        status=target,
        reason=reason,
        event_date=event_date,
        update_deadline=deadline,
        late=deadline.is_late(recorded_on),
    )
