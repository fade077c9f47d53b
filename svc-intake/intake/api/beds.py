"""Bed routes: read, list, guidance list, care plan, contract, installation, and the lifecycle
(establish, suspend, resume, terminate); transfer and the other changes of a running bed are in
`intake.api.bed_changes`; acceptance in `intake.api.acceptance`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import BedFilterDep, IntakeContextDep, refuse_unknown_query
from intake.schemas.applications import RevealRead
from intake.schemas.beds import (
    BedRead,
    BedSummary,
    BedWorklistItem,
    CarePlanIn,
    ContractIn,
    EndRead,
    GuidanceRead,
    InstallationIn,
    SuspendIn,
    TerminateIn,
)
from intake.service import bed_lifecycle, beds, pii, worklists

router = APIRouter(prefix="/v1/beds", tags=["beds"])

READ = problem_responses(401, 404)
ACTION = problem_responses(401, 403, 404, 409)
ACTION_WITH_BODY = problem_responses(401, 403, 404, 409, 422)


@router.get("", responses=problem_responses(401, 422))
async def list_beds(
    uow: UowDep, ctx: IntakeContextDep, query: BedFilterDep, page: PageDep
) -> Page[BedSummary]:
    return await beds.list_beds(uow=uow, ctx=ctx, query=query, limit=page.limit, offset=page.offset)


WORKLIST = problem_responses(401, 403, 422)


@router.get("/worklists/missing-devices", responses=WORKLIST)
async def missing_devices_worklist(
    request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[BedWorklistItem]:
    refuse_unknown_query(request, frozenset())
    return await worklists.missing_devices_worklist(
        uow=uow, ctx=ctx, limit=page.limit, offset=page.offset
    )


@router.get("/worklists/acceptance-due", responses=WORKLIST)
async def acceptance_due_worklist(
    request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[BedWorklistItem]:
    refuse_unknown_query(request, frozenset())
    return await worklists.acceptance_due_worklist(
        uow=uow, ctx=ctx, limit=page.limit, offset=page.offset
    )


@router.get("/worklists/contracts-ending", responses=WORKLIST)
async def contracts_ending_worklist(
    request: Request,
    uow: UowDep,
    ctx: IntakeContextDep,
    page: PageDep,
    within_days: Annotated[int, Query(ge=0, le=366)] = 30,
) -> Page[BedWorklistItem]:
    refuse_unknown_query(request, frozenset({"within_days"}))
    return await worklists.contracts_ending_worklist(
        uow=uow, ctx=ctx, within_days=within_days, limit=page.limit, offset=page.offset
    )


@router.get("/{bed_id}", responses=READ)
async def get_bed(bed_id: str, uow: UowDep, ctx: IntakeContextDep) -> BedRead:
    return await beds.get_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.get("/{bed_id}/guidance", responses=READ)
async def get_guidance(bed_id: str, uow: UowDep, ctx: IntakeContextDep) -> GuidanceRead:
    return await beds.get_guidance(uow=uow, ctx=ctx, bed_id=bed_id)


@router.put("/{bed_id}/care-plan", responses=ACTION_WITH_BODY)
async def record_care_plan(
    bed_id: str, body: CarePlanIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await beds.record_care_plan(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/contract", status_code=status.HTTP_201_CREATED, responses=ACTION_WITH_BODY)
async def sign_contract(
    bed_id: str, body: ContractIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await beds.sign_contract(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.put("/{bed_id}/installations", responses=ACTION_WITH_BODY)
async def record_installation(
    bed_id: str, body: InstallationIn, uow: UowDep, ctx: IntakeContextDep
) -> BedRead:
    return await beds.record_installation(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/establish", responses=ACTION)
async def establish_bed(bed_id: str, uow: UowDep, ctx: IntakeContextDep) -> BedRead:
    return await bed_lifecycle.establish_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.post("/{bed_id}/suspend", responses=ACTION_WITH_BODY)
async def suspend_bed(bed_id: str, body: SuspendIn, uow: UowDep, ctx: IntakeContextDep) -> BedRead:
    return await bed_lifecycle.suspend_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/resume", responses=ACTION)
async def resume_bed(bed_id: str, uow: UowDep, ctx: IntakeContextDep) -> BedRead:
    return await bed_lifecycle.resume_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.post("/{bed_id}/terminate", responses=ACTION_WITH_BODY)
async def terminate_bed(
    bed_id: str, body: TerminateIn, uow: UowDep, ctx: IntakeContextDep
) -> EndRead:
    return await bed_lifecycle.terminate_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/emergency-contact", responses=problem_responses(401, 403, 404))
async def reveal_emergency_contact(
    bed_id: str, uow: UowDep, ctx: IntakeContextDep, response: Response
) -> RevealRead:
    response.headers["Cache-Control"] = "no-store"
    return await pii.reveal_emergency_contact(uow=uow, ctx=ctx, bed_id=bed_id)
