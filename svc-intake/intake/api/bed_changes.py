"""Routes of the changes to a running bed: transfer by referral path (offline record) and the end
of a referral's service, follow-on contract, re-assessment, provider replacement (one bed, or all
beds of a suspended provider), the bed's history and the follow-up worklists."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, refuse_unknown_query
from intake.schemas.bed_changes import (
    BedHistoryRead,
    FollowUpItem,
    ProviderBedsMoveIn,
    ProviderBedsMoveRead,
    ProviderChangeIn,
    ReassessmentIn,
    RenewalIn,
    ServiceEndedIn,
    TransferIn,
    TransferRead,
)
from intake.schemas.beds import BedRead
from intake.service import bed_history, provider_change, reassessment, referral_intake, renewals

router = APIRouter(prefix="/v1/beds", tags=["beds"])
providers_router = APIRouter(prefix="/v1/providers", tags=["providers"])

ACTION_WITH_BODY = problem_responses(401, 403, 404, 409, 422)
WORKLIST = problem_responses(401, 403, 422)


@router.get("/worklists/care-plan-revisions", responses=WORKLIST)
async def care_plan_revisions_worklist(
    request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[FollowUpItem]:
    refuse_unknown_query(request, frozenset())
    return await bed_history.care_plan_revisions_worklist(
        uow=uow, ctx=ctx, limit=page.limit, offset=page.offset
    )


@router.get("/worklists/new-contracts", responses=WORKLIST)
async def new_contracts_worklist(
    request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[FollowUpItem]:
    refuse_unknown_query(request, frozenset())
    return await bed_history.new_contracts_worklist(
        uow=uow, ctx=ctx, limit=page.limit, offset=page.offset
    )


@router.get("/{bed_id}/history", responses=problem_responses(401, 404))
async def bed_history_read(bed_id: str, uow: UowDep, ctx: IntakeContextDep) -> BedHistoryRead:
    return await bed_history.bed_history(uow=uow, ctx=ctx, bed_id=bed_id)


@router.post("/{bed_id}/transfer", responses=ACTION_WITH_BODY)
async def transfer_bed(
    bed_id: str, body: TransferIn, uow: UowDep, ctx: IntakeContextDep
) -> TransferRead:
    return await referral_intake.record_transfer(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/referrals/{referral_id}/service-ended", responses=ACTION_WITH_BODY)
async def end_referral_service(
    bed_id: str, referral_id: str, body: ServiceEndedIn, uow: UowDep, ctx: IntakeContextDep
) -> TransferRead:
    return await referral_intake.end_referral_service(
        uow=uow, ctx=ctx, bed_id=bed_id, referral_id=referral_id, cmd=body
    )


@router.post("/{bed_id}/renewal", status_code=status.HTTP_201_CREATED, responses=ACTION_WITH_BODY)
async def renew_contract(
    bed_id: str, body: RenewalIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await renewals.renew_contract(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/reassessment", responses=ACTION_WITH_BODY)
async def reassess_bed(
    bed_id: str, body: ReassessmentIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await reassessment.reassess_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/change-provider", responses=ACTION_WITH_BODY)
async def change_provider(
    bed_id: str, body: ProviderChangeIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await provider_change.change_provider(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@providers_router.post("/{provider_id}/move-beds", responses=ACTION_WITH_BODY)
async def move_provider_beds(
    provider_id: str, body: ProviderBedsMoveIn, uow: UowDep, ctx: IntakeContextDep
) -> ProviderBedsMoveRead:
    return await provider_change.move_provider_beds(
        uow=uow, ctx=ctx, provider_id=provider_id, cmd=body
    )
