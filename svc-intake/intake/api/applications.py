"""Application routes: create, list, read, update, submit, assess, review, reject, withdraw,
and the audited full read of an ID or phone number."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import ApplicationFilterDep, IntakeContextDep
from intake.schemas.applications import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationSummary,
    ApplicationUpdate,
    AssessmentIn,
    LinkCodeRead,
    LinkIn,
    ProviderChoice,
    RejectIn,
    RevealIn,
    RevealRead,
    ReviewIn,
)
from intake.service import applications, linking, pii, review

router = APIRouter(prefix="/v1/applications", tags=["applications"])

READ = problem_responses(401, 404)
ACTION = problem_responses(401, 403, 404, 409)
ACTION_WITH_BODY = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 409, 422)
)
async def create_application(
    body: ApplicationCreate, uow: UowDep, ctx: IntakeContextDep, response: Response
) -> ApplicationRead:
    created = await applications.create_application(uow=uow, ctx=ctx, cmd=body)
    response.headers["Location"] = f"/v1/applications/{created.id}"
    return created


@router.post("/link", responses=problem_responses(401, 403, 422))
async def link_account(body: LinkIn, uow: UowDep, ctx: IntakeContextDep) -> ApplicationRead:
    return await linking.link_account(uow=uow, ctx=ctx, cmd=body)


@router.get("", responses=problem_responses(401, 422))
async def list_applications(
    uow: UowDep, ctx: IntakeContextDep, query: ApplicationFilterDep, page: PageDep
) -> Page[ApplicationSummary]:
    return await applications.list_applications(
        uow=uow, ctx=ctx, query=query, limit=page.limit, offset=page.offset
    )


@router.get("/{application_id}", responses=READ)
async def get_application(
    application_id: str, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await applications.get_application(uow=uow, ctx=ctx, application_id=application_id)


@router.patch("/{application_id}", responses=ACTION_WITH_BODY)
async def update_application(
    application_id: str, body: ApplicationUpdate, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await applications.update_application(
        uow=uow, ctx=ctx, application_id=application_id, cmd=body
    )


@router.put("/{application_id}/provider", responses=ACTION_WITH_BODY)
async def choose_provider(
    application_id: str, body: ProviderChoice, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await applications.choose_provider(
        uow=uow, ctx=ctx, application_id=application_id, cmd=body
    )


@router.post("/{application_id}/submit", responses=ACTION)
async def submit_application(
    application_id: str, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await applications.submit_application(uow=uow, ctx=ctx, application_id=application_id)


@router.post("/{application_id}/withdraw", responses=ACTION)
async def withdraw_application(
    application_id: str, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await applications.withdraw_application(uow=uow, ctx=ctx, application_id=application_id)


@router.post("/{application_id}/assessment", responses=ACTION_WITH_BODY)
async def assess_application(
    application_id: str, body: AssessmentIn, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await review.assess_application(
        uow=uow, ctx=ctx, application_id=application_id, cmd=body
    )


@router.post("/{application_id}/review", responses=ACTION_WITH_BODY)
async def review_application(
    application_id: str, body: ReviewIn, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await review.review_application(
        uow=uow, ctx=ctx, application_id=application_id, cmd=body
    )


@router.post("/{application_id}/reject", responses=ACTION_WITH_BODY)
async def reject_application(
    application_id: str, body: RejectIn, uow: UowDep, ctx: IntakeContextDep
) -> ApplicationRead:
    return await review.reject_application(
        uow=uow, ctx=ctx, application_id=application_id, cmd=body
    )


@router.post(
    "/{application_id}/link-code",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409),
)
async def issue_link_code(
    application_id: str, uow: UowDep, ctx: IntakeContextDep, response: Response
) -> LinkCodeRead:
    response.headers["Cache-Control"] = "no-store"
    return await linking.issue_link_code(uow=uow, ctx=ctx, application_id=application_id)


@router.post("/{application_id}/reveal", responses=problem_responses(401, 403, 404, 422))
async def reveal_personal_data(
    application_id: str, body: RevealIn, uow: UowDep, ctx: IntakeContextDep, response: Response
) -> RevealRead:
    response.headers["Cache-Control"] = "no-store"
    return await pii.reveal(uow=uow, ctx=ctx, application_id=application_id, cmd=body)
