"""What a referral does to the home bed, by the profile's rule for its path (000 §三(五),
003 §四.5, 004 §二(四)1, 001 §四(六)): the one decision the referral consumer and the officers'
offline record share.

Only the receiver taking the elder on (`completed`) changes the bed, and only as the path's rule
says: a nursing-home admission ends it (转养), a family sickbed combines with it, a hospital stay
suspends it. The end of that service (`service_ended`) undoes the combination or the suspension.
Requests, acceptances, refusals and cancellations are recorded and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homebed_schemas.events.referral import ReferralPath
from intake.domain.bed_change_policy import BedChangeRules, ReferralEffect
from intake.domain.lifecycle import BED_ACTIONS, BedAction, BedStatus


class ReferralStage(StrEnum):
    COMPLETED = "completed"  # the receiver took the elder on
    SERVICE_ENDED = "service_ended"  # the service the referral led to ended
    OTHER = "other"  # requested, accepted, rejected, cancelled, …: recorded only


class BedMove(StrEnum):
    TRANSFER = "transfer"
    LINK_FAMILY_SICKBED = "link_family_sickbed"
    UNLINK_FAMILY_SICKBED = "unlink_family_sickbed"
    SUSPEND = "suspend"
    RESUME = "resume"
    NONE = "none"


@dataclass(frozen=True)
class ReferralDecision:
    move: BedMove
    why: str  # what the referral record and the log say


def hospital_suspension_reason(referral_id: str) -> str:
    """The suspension reason a hospital admission writes, so its discharge finds its own."""
    return f"hospitalisation (referral {referral_id})"


def decide(
    rules: BedChangeRules,
    *,
    path: ReferralPath,
    stage: ReferralStage,
    referral_id: str,
    bed_status: BedStatus,
    linked_referral_id: str | None,
    suspension_reason: str | None,
) -> ReferralDecision:
    """The move a referral event makes on a bed in `bed_status` (NONE says why not)."""
    rule = rules.referral_rule(path)
    if rule is None:
        return ReferralDecision(BedMove.NONE, f"a {path.value} referral reaches no home bed")
    if stage is ReferralStage.OTHER:
        return ReferralDecision(BedMove.NONE, "recorded")
    if bed_status in (BedStatus.TERMINATED, BedStatus.TRANSFERRED):
        return ReferralDecision(BedMove.NONE, f"the bed has already ended ({bed_status.value})")
    if stage is ReferralStage.COMPLETED:
        return _on_completed(rule.on_completed, referral_id, bed_status, linked_referral_id)
    return _on_service_ended(
        rule.on_completed, referral_id, bed_status, linked_referral_id, suspension_reason
    )


def _on_completed(
    effect: ReferralEffect, referral_id: str, status: BedStatus, linked: str | None
) -> ReferralDecision:
    if effect is ReferralEffect.TRANSFER:
        if BedAction.TRANSFER not in BED_ACTIONS[status]:
            return ReferralDecision(BedMove.NONE, f"a {status.value} bed cannot be transferred")
        return ReferralDecision(BedMove.TRANSFER, "transferred on admission")
    if effect is ReferralEffect.COMBINE:
        if linked == referral_id:
            return ReferralDecision(BedMove.NONE, "already combined with this family sickbed")
        return ReferralDecision(BedMove.LINK_FAMILY_SICKBED, "combined with the family sickbed")
    if effect is ReferralEffect.SUSPEND:
        if BedAction.SUSPEND not in BED_ACTIONS[status]:
            return ReferralDecision(BedMove.NONE, f"a {status.value} bed cannot be suspended")
        return ReferralDecision(BedMove.SUSPEND, "suspended for the hospital stay")
    return ReferralDecision(BedMove.NONE, "recorded")


def _on_service_ended(
    effect: ReferralEffect,
    referral_id: str,
    status: BedStatus,
    linked: str | None,
    suspension_reason: str | None,
) -> ReferralDecision:
    if effect is ReferralEffect.COMBINE:
        if linked != referral_id:
            return ReferralDecision(BedMove.NONE, "not combined with this family sickbed")
        return ReferralDecision(BedMove.UNLINK_FAMILY_SICKBED, "the family sickbed closed")
    if effect is ReferralEffect.SUSPEND:
        ours = suspension_reason == hospital_suspension_reason(referral_id)
        if status is not BedStatus.SUSPENDED or not ours:
            return ReferralDecision(BedMove.NONE, "not suspended for this hospital stay")
        return ReferralDecision(BedMove.RESUME, "resumed after the hospital stay")
    return ReferralDecision(BedMove.NONE, "recorded")
