"""Dependencies: the use-case context (principal, clock, PII tools) and list queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from chassis.api import PrincipalDep
from chassis.observability.context import request_id_var
from intake.repository import ListFilter
from intake.service.context import Ctx, Pii

Clock = Callable[[], datetime]


def now_from(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


def get_ctx(request: Request, principal: PrincipalDep) -> Ctx:
    pii: Pii = request.app.state.pii
    return Ctx(principal=principal, now=now_from(request), pii=pii, request_id=request_id_var.get())


def get_list_filter(
    status: Annotated[str | None, Query(max_length=16)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    jurisdiction: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ListFilter:
    return ListFilter(
        status=status,
        region_code=region_code,
        provider_id=provider_id,
        jurisdiction=jurisdiction,
        limit=limit,
        offset=offset,
    )


CtxDep = Annotated[Ctx, Depends(get_ctx)]
ListFilterDep = Annotated[ListFilter, Depends(get_list_filter)]
