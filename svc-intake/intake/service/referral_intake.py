"""Referrals reaching a bed (转介转养, 000 §三(五), 003 §四.5, 004 §二(四)1): the consumer of
`referral.referrals.v1` and the officers' and providers' record of a referral handled offline.

Both go through one decision (`intake.domain.referral`, by the profile's rule for the path):
a nursing-home admission ends the bed (transferred, the contract dissolved on the admission day,
the platform update due N working days later); a family sickbed combines with it; a hospital
stay suspends it; the end of those services undoes the combination or the suspension.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from chassis.access import require_role
from chassis.clock import shanghai_date
from chassis.db import UnitOfWork
from chassis.errors import DomainError, NotFound, PreconditionFailed, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.referral import ReferralEvent, ReferralPath, ReferralStatus
from intake.bed_change_repository import BedChangeRepository
from intake.domain.bed import ChangeOutcome, resume_status, transfer
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.domain.referral import (
    BedMove,
    ReferralStage,
    decide,
    hospital_suspension_reason,
)
from intake.policies.loader import load_profile
from intake.repository import SqlRepository
from intake.schemas.bed_changes import ServiceEndedIn, TransferIn, TransferRead
from intake.service.bed_endings import REFERRAL_SERVICE, end_bed
from intake.service.bed_lifecycle import bed_since
from intake.service.beds import bed_answer, visible_bed
from intake.service.context import IntakeContext
from intake.service.discharge_applications import discharge_referral_changed
from intake.service.events import emit_bed_event
from intake.tables import BedReferralRow, BedRow

logger = logging.getLogger(__name__)

STAGES = {
    "referral.completed": ReferralStage.COMPLETED,
    "referral.service_ended": ReferralStage.SERVICE_ENDED,
}
OFFLINE = "offline"


@dataclass(frozen=True)
class Applied:
    """What a referral did to the bed: the move, in words, and the end when it ended the bed."""

    move: BedMove
    outcome: str
    ended: ChangeOutcome | None = None


async def referral_changed(
    *, uow: UnitOfWork, event_type: str, event: ReferralEvent, now: datetime
) -> None:
    """Apply one referral event to its bed. An unknown bed, another elder's bed, a bed already
    ended or a stale event is recorded as a no-op with a log line, never an error. Never commits
    (the consumer runner commits with the processed-event row)."""
    changes = uow.repo(BedChangeRepository)
    row = await changes.referral(event.referral_id)
    if row is not None and event.occurred_at < row.last_event_at:
        logger.info("older referral event ignored", extra=_log(event, event_type))
        return
    if row is None:
        row = _referral_row(event, now=now)
        changes.add(row)
    _update_row(row, event, now=now)
    if event.path is ReferralPath.HOME_BED:  # no bed yet: a pre-filled application instead
        row.outcome = await discharge_referral_changed(uow=uow, event=event, now=now)
        return
    bed = await uow.repo(SqlRepository).bed(event.bed_id) if event.bed_id else None
    problem = _why_not_this_bed(event, bed)
    if problem is not None or bed is None:
        row.outcome = f"no-op: {problem}"
        logger.warning(
            "referral event not applied", extra={**_log(event, event_type), "why": problem}
        )
        return
    stage = STAGES.get(event_type, ReferralStage.OTHER)
    day = event.service_ended_on if stage is ReferralStage.SERVICE_ENDED else event.admitted_on
    try:
        applied = await apply_referral(
            uow,
            bed,
            path=event.path,
            stage=stage,
            referral_id=event.referral_id,
            day=day or shanghai_date(now),
            dissolved_on=None,
            now=now,
            by=REFERRAL_SERVICE,
        )
    except DomainError as refused:  # e.g. an admission dated before the bed existed
        row.outcome = f"no-op: {refused}"
        logger.warning(
            "referral event refused", extra={**_log(event, event_type), "why": str(refused)}
        )
        return
    row.outcome = _said(applied)
    if applied.move is BedMove.NONE and stage is not ReferralStage.OTHER:
        logger.info(
            "referral event changed nothing",
            extra={**_log(event, event_type), "why": applied.outcome},
        )


async def record_transfer(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: TransferIn
) -> TransferRead:
    """Record a referral handled offline (转介转养): its path decides, by the profile's rule,
    whether the bed ends (nursing home), combines (family sickbed), pauses (hospital) or records it."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
        check_bed_action(BedStatus(bed.status), BedAction.TRANSFER)
        path = ReferralPath(cmd.path)
        if cmd.contract_dissolved_on is not None and path is not ReferralPath.NURSING_HOME:
            raise Unprocessable(
                [("body.contract_dissolved_on", "only a nursing_home transfer ends the contract")]
            )
        _check_day(cmd.event_date, since=bed_since(bed), today=ctx.today, field="event_date")
        referral_id = f"{OFFLINE}-{uuid.uuid4()}"
        applied = await apply_referral(
            uow,
            bed,
            path=path,
            stage=ReferralStage.COMPLETED,
            referral_id=referral_id,
            day=cmd.event_date,
            dissolved_on=cmd.contract_dissolved_on,
            now=ctx.now,
            by=ctx.principal.sub,
            note=cmd.note,
        )
        uow.repo(BedChangeRepository).add(
            BedReferralRow(
                referral_id=referral_id,
                bed_id=bed.id,
                elder_id=bed.elder_id,
                path=path.value,
                status=ReferralStatus.COMPLETED.value,
                receiver_id=None,
                receiver_name=cmd.receiving_organisation,
                admitted_on=cmd.event_date,
                service_ended_on=None,
                source=OFFLINE,
                outcome=_said(applied),
                recorded_by=ctx.principal.sub,
                last_event_at=ctx.now,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        answer = await _answer(uow, ctx, bed, referral_id, path, applied)
        await uow.commit()
        return answer


async def end_referral_service(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, referral_id: str, cmd: ServiceEndedIn
) -> TransferRead:
    """The service a referral led to ended (family sickbed closed, discharged from hospital),
    told offline: the combination ends, the suspension for the stay is lifted."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
        row = await uow.repo(BedChangeRepository).referral(referral_id)
        if row is None or row.bed_id != bed.id:
            raise NotFound("referral")
        if row.status != ReferralStatus.COMPLETED.value or row.admitted_on is None:
            raise PreconditionFailed(
                action="end_service",
                problems=[f"needs: the receiver took the elder on (status is {row.status})"],
            )
        _check_day(cmd.ended_on, since=row.admitted_on, today=ctx.today, field="ended_on")
        path = ReferralPath(row.path)
        applied = await apply_referral(
            uow,
            bed,
            path=path,
            stage=ReferralStage.SERVICE_ENDED,
            referral_id=referral_id,
            day=cmd.ended_on,
            dissolved_on=None,
            now=ctx.now,
            by=ctx.principal.sub,
            note=cmd.note,
        )
        row.service_ended_on = cmd.ended_on
        row.outcome = _said(applied)
        row.last_event_at = row.updated_at = ctx.now
        answer = await _answer(uow, ctx, bed, referral_id, path, applied)
        await uow.commit()
        return answer


async def apply_referral(
    uow: UnitOfWork,
    bed: BedRow,
    *,
    path: ReferralPath,
    stage: ReferralStage,
    referral_id: str,
    day: date,
    dissolved_on: date | None,
    now: datetime,
    by: str,
    note: str | None = None,
) -> Applied:
    """Make the profile's move for this referral on the bed and stage its event."""
    profile = load_profile(bed.jurisdiction)
    status = BedStatus(bed.status)
    decision = decide(
        profile.bed_changes,
        path=path,
        stage=stage,
        referral_id=referral_id,
        bed_status=status,
        linked_referral_id=bed.family_sickbed_referral_id,
        suspension_reason=bed.suspension_reason,
    )
    move = decision.move
    if move is BedMove.TRANSFER:
        ended = transfer(
            status,
            profile=profile,
            event_date=day,
            recorded_on=shanghai_date(now),
            bed_since=bed_since(bed),
            contract_dissolved_on=dissolved_on or day,
        )
        bed.transfer_target = path.value
        await end_bed(uow, bed, ended, now=now, by=by, note=note, name="transferred")
        return Applied(move, decision.why, ended)
    if move is BedMove.NONE:
        return Applied(move, decision.why)
    if move is BedMove.LINK_FAMILY_SICKBED:
        bed.family_sickbed_referral_id, bed.family_sickbed_since = referral_id, day
        name = "family_sickbed_linked"
    elif move is BedMove.UNLINK_FAMILY_SICKBED:
        bed.family_sickbed_referral_id, bed.family_sickbed_since = None, None
        name = "family_sickbed_unlinked"
    elif move is BedMove.SUSPEND:
        bed.status = BedStatus.SUSPENDED.value
        bed.suspended_on = shanghai_date(now)
        bed.suspension_reason = hospital_suspension_reason(referral_id)
        name = "suspended"
    else:
        bed.status = resume_status(status, accepted=bed.accepted_on is not None).value
        bed.suspended_on, bed.suspension_reason = None, None
        name = "resumed"
    bed.updated_at = now
    contract = await uow.repo(SqlRepository).latest_contract(bed.id)
    if contract is not None:  # other services know the bed from its contract on
        await emit_bed_event(uow, bed, contract, name, now=now)
    return Applied(move, decision.why)


def _why_not_this_bed(event: ReferralEvent, bed: BedRow | None) -> str | None:
    if event.path is ReferralPath.HOME_BED:
        return "a home_bed referral brings an elder home: no existing bed changes"
    if bed is None:
        return "unknown bed"
    if bed.elder_id != event.elder_id:
        return "the bed belongs to another elder"
    return None


def _check_day(day: date, *, since: date, today: date, field: str) -> None:
    """A day of the referral lies between `since` (the bed's, or the admission's) and today."""
    if day > today:
        raise Unprocessable([(f"body.{field}", f"lies after today ({today})")])
    if day < since:
        raise Unprocessable([(f"body.{field}", f"lies before {since}")])


def _referral_row(event: ReferralEvent, *, now: datetime) -> BedReferralRow:
    return BedReferralRow(
        referral_id=event.referral_id,
        bed_id=event.bed_id,
        elder_id=event.elder_id,
        path=event.path.value,
        status=event.status.value,
        source=REFERRAL_SERVICE,
        outcome="recorded",
        recorded_by=REFERRAL_SERVICE,
        last_event_at=event.occurred_at,
        created_at=now,
        updated_at=now,
    )


def _update_row(row: BedReferralRow, event: ReferralEvent, *, now: datetime) -> None:
    row.status = event.status.value
    row.receiver_id = event.receiver.organisation_id
    row.receiver_name = event.receiver.name
    row.admitted_on = event.admitted_on or row.admitted_on
    row.service_ended_on = event.service_ended_on or row.service_ended_on
    row.last_event_at = event.occurred_at
    row.updated_at = now


def _said(applied: Applied) -> str:
    return f"{'no-op' if applied.move is BedMove.NONE else applied.move.value}: {applied.outcome}"


def _log(event: ReferralEvent, event_type: str) -> dict[str, str | None]:
    return {"referral_id": event.referral_id, "bed_id": event.bed_id, "event_type": event_type}


async def _answer(
    uow: UnitOfWork,
    ctx: IntakeContext,
    bed: BedRow,
    referral_id: str,
    path: ReferralPath,
    applied: Applied,
) -> TransferRead:
    ended = applied.ended
    return TransferRead(
        bed=await bed_answer(uow, ctx, bed),
        referral_id=referral_id,
        path=path.value,
        effect=applied.move.value,
        outcome=applied.outcome,
        contract_dissolved_on=ended.contract_dissolved_on if ended else None,
        update_deadline=ended.update_deadline.due if ended else None,
        deadline_estimated=ended.update_deadline.estimated if ended else None,
        late=ended.late if ended else None,
    )
