"""Provider routes: the public register (`GET`, no credential, like the eligibility calculator)
and the officers' / provider admins' writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, JurisdictionQuery, refuse_unknown_query
from intake.domain.provider import ProviderStatus
from intake.repository import ProviderFilter
from intake.schemas.providers import ProviderCreate, ProviderRead, ProviderSuspend, ProviderUpdate
from intake.service import providers

router = APIRouter(prefix="/v1/providers", tags=["providers"])

WRITE = problem_responses(401, 403, 404, 409, 422)


def get_provider_filter(
    request: Request,
    jurisdiction: JurisdictionQuery = None,
    status: ProviderStatus = ProviderStatus.ACTIVE,
) -> ProviderFilter:
    refuse_unknown_query(request, frozenset({"jurisdiction", "status"}))
    return ProviderFilter(jurisdiction=jurisdiction, status=status.value)


@router.get("", responses=problem_responses(422))
async def list_providers(
    uow: UowDep, query: Annotated[ProviderFilter, Depends(get_provider_filter)], page: PageDep
) -> Page[ProviderRead]:
    return await providers.list_providers(
        uow=uow, query=query, limit=page.limit, offset=page.offset
    )


@router.get("/{provider_id}", responses=problem_responses(404))
async def get_provider(provider_id: str, uow: UowDep) -> ProviderRead:
    return await providers.get_provider(uow=uow, provider_id=provider_id)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 409, 422)
)
async def create_provider(
    body: ProviderCreate, uow: UowDep, ctx: IntakeContextDep, response: Response
) -> ProviderRead:
    created = await providers.create_provider(uow=uow, ctx=ctx, cmd=body)
    response.headers["Location"] = f"/v1/providers/{created.id}"
    return created


@router.patch("/{provider_id}", responses=WRITE)
async def update_provider(
    provider_id: str, body: ProviderUpdate, uow: UowDep, ctx: IntakeContextDep
) -> ProviderRead:
    return await providers.update_provider(uow=uow, ctx=ctx, provider_id=provider_id, cmd=body)


@router.post("/{provider_id}/suspend", responses=WRITE)
async def suspend_provider(
    provider_id: str, body: ProviderSuspend, uow: UowDep, ctx: IntakeContextDep
) -> ProviderRead:
    return await providers.suspend_provider(uow=uow, ctx=ctx, provider_id=provider_id, cmd=body)


@router.post("/{provider_id}/reactivate", responses=problem_responses(401, 403, 404))
async def reactivate_provider(provider_id: str, uow: UowDep, ctx: IntakeContextDep) -> ProviderRead:
    return await providers.reactivate_provider(uow=uow, ctx=ctx, provider_id=provider_id)
