"""Dependencies of intake's routes: the intake request context (chassis context + PII tools),
today's date for the public calculator, and the list filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from chassis.api import ContextDep, clock_of
from chassis.clock import shanghai_date
from chassis.errors import Unprocessable
from intake.domain.lifecycle import ApplicationStatus, BedStatus
from intake.repository import ListFilter
from intake.service.context import IntakeContext, Pii


def get_context(request: Request, base: ContextDep) -> IntakeContext:
    pii: Pii = request.app.state.pii
    return IntakeContext(
        principal=base.principal, now=base.now, request_id=base.request_id, pii=pii
    )


def get_today(request: Request) -> date:
    """The Shanghai date from the app's injected clock (routes without a principal)."""
    return shanghai_date(clock_of(request)())


PAGING = frozenset({"limit", "offset"})


def refuse_unknown_query(request: Request, known: frozenset[str]) -> None:
    """Unknown query parameters are refused (422 naming each), never silently ignored."""
    unknown = sorted(set(request.query_params) - known - PAGING)
    if unknown:
        raise Unprocessable(
            [
                (f"query.{name}", f"unknown parameter; known: {', '.join(sorted(known | PAGING))}")
                for name in unknown
            ]
        )


LIST_FILTERS = frozenset({"status", "region_code", "provider_id", "jurisdiction"})


JurisdictionQuery = Annotated[str | None, Query(pattern=r"^\d{6}$")]


def get_list_filter(
    request: Request,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    jurisdiction: JurisdictionQuery = None,
) -> ListFilter:
    refuse_unknown_query(request, LIST_FILTERS)
    return ListFilter(region_code=region_code, provider_id=provider_id, jurisdiction=jurisdiction)


ListFilterDep = Annotated[ListFilter, Depends(get_list_filter)]


def get_application_filter(
    base: ListFilterDep, status: ApplicationStatus | None = None
) -> ListFilter:
    return replace(base, status=status.value if status else None)


def get_bed_filter(base: ListFilterDep, status: BedStatus | None = None) -> ListFilter:
    return replace(base, status=status.value if status else None)


IntakeContextDep = Annotated[IntakeContext, Depends(get_context)]
TodayDep = Annotated[date, Depends(get_today)]
ApplicationFilterDep = Annotated[ListFilter, Depends(get_application_filter)]
BedFilterDep = Annotated[ListFilter, Depends(get_bed_filter)]
