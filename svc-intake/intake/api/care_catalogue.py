"""`GET /v1/care-catalogues/{jurisdiction}`: the service items a care plan may use and the
minimums it must meet (public, like the policies it comes from)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from chassis.problems import problem_responses
from intake.schemas.care_catalogue import CareCatalogueRead
from intake.service.care_plans import care_catalogue

router = APIRouter(tags=["care plans"])


@router.get("/v1/care-catalogues/{jurisdiction}", responses=problem_responses(404, 422))
async def get_care_catalogue(
    jurisdiction: Annotated[str, Path(pattern=r"^\d{6}$")],
) -> CareCatalogueRead:
    return care_catalogue(jurisdiction)
