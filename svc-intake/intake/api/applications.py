"""Application routes: create, list, read, update, submit, assess, review, reject, withdraw,
and the audited full read of an ID or phone number."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from chassis.api import UowDep
from intake.api.deps import CtxDep, ListFilterDep
from intake.schemas.applications import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationSummary,
    ApplicationUpdate,
    AssessmentIn,
    RejectIn,
    RevealIn,
    RevealRead,
    ReviewIn,
)
from intake.schemas.common import Page
from intake.service import applications, pii, review

router = APIRouter(prefix="/v1/applications", tags=["applications"])


async def _read(uow: UowDep, ctx: CtxDep, application_id: str) -> ApplicationRead:
    return await applications.get_application(uow=uow, ctx=ctx, application_id=application_id)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_application(
    body: ApplicationCreate, uow: UowDep, ctx: CtxDep, response: Response
) -> ApplicationRead:
    application_id = await applications.create_application(uow=uow, ctx=ctx, cmd=body)
    response.headers["Location"] = f"/v1/applications/{application_id}"
    return await _read(uow, ctx, application_id)


@router.get("")
async def list_applications(
    uow: UowDep, ctx: CtxDep, query: ListFilterDep
) -> Page[ApplicationSummary]:
    return await applications.list_applications(uow=uow, ctx=ctx, query=query)


@router.get("/{application_id}")
async def get_application(application_id: str, uow: UowDep, ctx: CtxDep) -> ApplicationRead:
    return await _read(uow, ctx, application_id)


@router.patch("/{application_id}")
async def update_application(
    application_id: str, body: ApplicationUpdate, uow: UowDep, ctx: CtxDep
) -> ApplicationRead:
    await applications.update_application(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/submit")
async def submit_application(application_id: str, uow: UowDep, ctx: CtxDep) -> ApplicationRead:
    await applications.submit_application(uow=uow, ctx=ctx, application_id=application_id)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/withdraw")
async def withdraw_application(application_id: str, uow: UowDep, ctx: CtxDep) -> ApplicationRead:
    await applications.withdraw_application(uow=uow, ctx=ctx, application_id=application_id)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/assessment")
async def assess_application(
    application_id: str, body: AssessmentIn, uow: UowDep, ctx: CtxDep
) -> ApplicationRead:
    await review.assess_application(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/review")
async def review_application(
    application_id: str, body: ReviewIn, uow: UowDep, ctx: CtxDep
) -> ApplicationRead:
    await review.review_application(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/reject")
async def reject_application(
    application_id: str, body: RejectIn, uow: UowDep, ctx: CtxDep
) -> ApplicationRead:
    await review.reject_application(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
    return await _read(uow, ctx, application_id)


@router.post("/{application_id}/reveal")
async def reveal_personal_data(
    application_id: str, body: RevealIn, uow: UowDep, ctx: CtxDep, response: Response
) -> RevealRead:
    value, at = await pii.reveal(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
    response.headers["Cache-Control"] = "no-store"
    return RevealRead(field=body.field, value=value, audited_at=at)
