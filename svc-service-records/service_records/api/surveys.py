"""Survey routes: the caller's surveys, answering, per-provider scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.api.deps import SurveyThresholdDep
from service_records.schemas.surveys import SurveyAnswer, SurveyRead, SurveyScores, SurveySummary
from service_records.service import surveys

router = APIRouter(prefix="/v1/surveys", tags=["surveys"])


@router.get("", responses=problem_responses(401, 403, 422))
async def list_surveys(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    bed_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> Page[SurveySummary]:
    return await surveys.list_surveys(
        uow=uow, ctx=ctx, bed_id=bed_id, status=status, limit=page.limit, offset=page.offset
    )


@router.get("/scores", responses=problem_responses(401, 403, 422))
async def survey_scores(
    uow: UowDep,
    ctx: ContextDep,
    threshold: SurveyThresholdDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
) -> SurveyScores:
    return await surveys.survey_scores(uow=uow, ctx=ctx, period=period, threshold=threshold)


@router.get("/{survey_id}", responses=problem_responses(401, 403, 404))
async def get_survey(survey_id: str, uow: UowDep, ctx: ContextDep) -> SurveyRead:
    return await surveys.get_survey(uow=uow, ctx=ctx, survey_id=survey_id)


@router.post("/{survey_id}/answers", responses=problem_responses(401, 403, 404, 409, 422))
async def answer_survey(
    survey_id: str,
    body: SurveyAnswer,
    uow: UowDep,
    ctx: ContextDep,
    threshold: SurveyThresholdDep,
) -> SurveyRead:
    return await surveys.answer_survey(
        uow=uow, ctx=ctx, survey_id=survey_id, cmd=body, threshold=threshold
    )
