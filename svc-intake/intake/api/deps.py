"""Dependencies of intake's routes: the intake request context (chassis context + PII tools),
today's date for the public calculator, and the list filters."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from chassis.api import ContextDep, clock_of
from chassis.clock import shanghai_date
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


def get_list_filter(
    status: Annotated[str | None, Query(max_length=16)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> ListFilter:
    return ListFilter(
        status=status, region_code=region_code, provider_id=provider_id, jurisdiction=jurisdiction
    )


IntakeContextDep = Annotated[IntakeContext, Depends(get_context)]
TodayDep = Annotated[date, Depends(get_today)]
ListFilterDep = Annotated[ListFilter, Depends(get_list_filter)]
