"""Bed routes: read, list, guidance list, care plan, contract, installation, and the lifecycle
(establish, accept, suspend, resume, terminate, transfer)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from chassis.api import UowDep
from intake.api.deps import CtxDep, ListFilterDep
from intake.schemas.beds import (
    AcceptIn,
    BedRead,
    BedSummary,
    CarePlanIn,
    ContractIn,
    GuidanceRead,
    InstallationIn,
    SuspendIn,
    TerminateIn,
    TransferIn,
)
from intake.schemas.common import Page
from intake.service import bed_lifecycle, beds

router = APIRouter(prefix="/v1/beds", tags=["beds"])


class EndRead(BaseModel):
    """Answer of terminate and transfer: the bed and the platform-update deadline (001 §四(六))."""

    model_config = ConfigDict(frozen=True)

    bed: BedRead
    update_deadline: date
    deadline_estimated: bool
    late: bool


async def _read(uow: UowDep, ctx: CtxDep, bed_id: str) -> BedRead:
    return await beds.get_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.get("")
async def list_beds(uow: UowDep, ctx: CtxDep, query: ListFilterDep) -> Page[BedSummary]:
    return await beds.list_beds(uow=uow, ctx=ctx, query=query)


@router.get("/{bed_id}")
async def get_bed(bed_id: str, uow: UowDep, ctx: CtxDep) -> BedRead:
    return await _read(uow, ctx, bed_id)


@router.get("/{bed_id}/guidance")
async def get_guidance(bed_id: str, uow: UowDep, ctx: CtxDep) -> GuidanceRead:
    return await beds.get_guidance(uow=uow, ctx=ctx, bed_id=bed_id)


@router.put("/{bed_id}/care-plan")
async def record_care_plan(bed_id: str, body: CarePlanIn, uow: UowDep, ctx: CtxDep) -> BedRead:
    await beds.record_care_plan(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/contract", status_code=status.HTTP_201_CREATED)
async def sign_contract(bed_id: str, body: ContractIn, uow: UowDep, ctx: CtxDep) -> BedRead:
    await beds.sign_contract(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return await _read(uow, ctx, bed_id)


@router.put("/{bed_id}/installations")
async def record_installation(
    bed_id: str, body: InstallationIn, uow: UowDep, ctx: CtxDep
) -> BedRead:
    await beds.record_installation(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/establish")
async def establish_bed(bed_id: str, uow: UowDep, ctx: CtxDep) -> BedRead:
    await bed_lifecycle.establish_bed(uow=uow, ctx=ctx, bed_id=bed_id)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/accept")
async def accept_bed(bed_id: str, body: AcceptIn, uow: UowDep, ctx: CtxDep) -> BedRead:
    await bed_lifecycle.accept_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/suspend")
async def suspend_bed(bed_id: str, body: SuspendIn, uow: UowDep, ctx: CtxDep) -> BedRead:
    await bed_lifecycle.suspend_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/resume")
async def resume_bed(bed_id: str, uow: UowDep, ctx: CtxDep) -> BedRead:
    await bed_lifecycle.resume_bed(uow=uow, ctx=ctx, bed_id=bed_id)
    return await _read(uow, ctx, bed_id)


@router.post("/{bed_id}/terminate")
async def terminate_bed(bed_id: str, body: TerminateIn, uow: UowDep, ctx: CtxDep) -> EndRead:
    result = await bed_lifecycle.terminate_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return EndRead(
        bed=await _read(uow, ctx, bed_id),
        update_deadline=result.update_deadline,
        deadline_estimated=result.deadline_estimated,
        late=result.late,
    )


@router.post("/{bed_id}/transfer")
async def transfer_bed(bed_id: str, body: TransferIn, uow: UowDep, ctx: CtxDep) -> EndRead:
    result = await bed_lifecycle.transfer_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
    return EndRead(
        bed=await _read(uow, ctx, bed_id),
        update_deadline=result.update_deadline,
        deadline_estimated=result.deadline_estimated,
        late=result.late,
    )
