"""The calculators: what a bed is due in a month, and which scale-award tiers a provider reached."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep
from chassis.problems import problem_responses
from subsidy.api.deps import ProfilesDep
from subsidy.schemas.previews import (
    ScaleAwardPreview,
    ScaleAwardPreviewRead,
    SubsidyPreview,
    SubsidyPreviewRead,
)
from subsidy.service import previews

router = APIRouter(prefix="/v1/subsidies", tags=["calculators"])


@router.post("/preview", responses=problem_responses(401, 403, 422))
async def preview_subsidies(
    body: SubsidyPreview, ctx: ContextDep, profiles: ProfilesDep
) -> SubsidyPreviewRead:
    return previews.preview_subsidies(ctx=ctx, cmd=body, profiles=profiles)


@router.post("/scale-award/preview", responses=problem_responses(401, 403, 422))
async def preview_scale_awards(body: ScaleAwardPreview, ctx: ContextDep) -> ScaleAwardPreviewRead:
    return previews.preview_scale_awards(ctx=ctx, cmd=body)
