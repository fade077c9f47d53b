"""The archive package route: `GET /v1/referrals/{id}/archive` (FHIR Bundle, fhir+json)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from referral.api.fhir import FhirResponse, fhir_doc
from referral.clients import ArchiveSources
from referral.service import archive

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])


def _sources(request: Request) -> ArchiveSources:
    sources: ArchiveSources = request.app.state.archive_sources
    return sources


@router.get(
    "/{referral_id}/archive",
    response_class=FhirResponse,
    responses={
        **fhir_doc("Bundle (collection): the consent-scoped archive"),
        **problem_responses(403, 404, 409, 503),
    },
)
async def archive_package(
    referral_id: str,
    request: Request,
    uow: UowDep,
    ctx: ContextDep,
    categories: Annotated[
        str | None,
        Query(max_length=120, description="comma-separated categories; default: all consented"),
    ] = None,
) -> FhirResponse:
    """The receiver's archive package (床随人走): only what a consent in force covers."""
    ttl = timedelta(minutes=request.app.state.settings.archive_ttl_minutes)
    bundle = await archive.archive_package(
        uow=uow,
        ctx=ctx,
        sources=_sources(request),
        referral_id=referral_id,
        categories=categories,
        ttl=ttl,
    )
    return FhirResponse(bundle)
