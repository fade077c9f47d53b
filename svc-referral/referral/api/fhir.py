"""FHIR R4 view (base URL `/v1/fhir`), `application/fhir+json`: Task, ServiceRequest, Consent,
the CapabilityStatement and Task polling. Failures are OperationOutcomes (`fhir_errors`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from referral.fhir import resources
from referral.service import fhir_views

router = APIRouter(prefix="/v1/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def fhir_doc(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {FHIR_JSON: {"schema": {"type": "object"}}}}
    }


@router.get(
    "/metadata",
    response_class=FhirResponse,
    responses=fhir_doc("CapabilityStatement"),
)
async def metadata(ctx: ContextDep) -> FhirResponse:
    return FhirResponse(resources.capability_statement(published=ctx.now))


@router.get(
    "/Task",
    response_class=FhirResponse,
    responses={**fhir_doc("Bundle (searchset) of Task"), **problem_responses(422)},
)
async def search_tasks(
    request: Request,
    uow: UowDep,
    ctx: ContextDep,
    owner: Annotated[str | None, Query(max_length=80)] = None,
    requester: Annotated[str | None, Query(max_length=80)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    last_updated: Annotated[str | None, Query(alias="_lastUpdated", max_length=40)] = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=100)] = 20,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=10_000_000)] = 0,
) -> FhirResponse:
    bundle = await fhir_views.search_tasks(
        uow=uow,
        ctx=ctx,
        owner=owner,
        requester=requester,
        status=status,
        last_updated=last_updated,
        count=count,
        offset=offset,
        self_url=str(request.url),
    )
    return FhirResponse(bundle)


@router.get(
    "/Task/{task_id}",
    response_class=FhirResponse,
    responses={**fhir_doc("Task"), **problem_responses(404)},
)
async def read_task(task_id: str, uow: UowDep, ctx: ContextDep) -> FhirResponse:
    return FhirResponse(await fhir_views.task(uow=uow, ctx=ctx, task_id=task_id))


@router.get(
    "/ServiceRequest/{request_id}",
    response_class=FhirResponse,
    responses={**fhir_doc("ServiceRequest"), **problem_responses(404)},
)
async def read_service_request(request_id: str, uow: UowDep, ctx: ContextDep) -> FhirResponse:
    return FhirResponse(await fhir_views.service_request(uow=uow, ctx=ctx, request_id=request_id))


@router.get(
    "/Consent/{consent_id}",
    response_class=FhirResponse,
    responses={**fhir_doc("Consent"), **problem_responses(404)},
)
async def read_consent(consent_id: str, uow: UowDep, ctx: ContextDep) -> FhirResponse:
    return FhirResponse(await fhir_views.consent(uow=uow, ctx=ctx, consent_id=consent_id))
