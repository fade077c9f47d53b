"""FastAPI dependencies every service uses: principal, unit of work, request context, paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from chassis.clock import Clock
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from chassis.observability.context import request_id_var
from chassis.principal import (
    PRINCIPAL_HEADER,
    InvalidPrincipalToken,
    Principal,
    verify_internal_token,
)
from chassis.problems import ProblemError


def get_principal(request: Request) -> Principal:
    """The caller, from the gateway's internal token; anything else is 401."""
    token = request.headers.get(PRINCIPAL_HEADER)
    if not token:
        raise ProblemError(401, "Unauthorized", "A credential is required.")
    key = request.app.state.settings.internal_token_key.get_secret_value()
    try:
        return verify_internal_token(token, key)
    except InvalidPrincipalToken:
        raise ProblemError(401, "Unauthorized", "The credential is not valid.") from None


async def get_uow(request: Request) -> UnitOfWork:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
    factory = request.app.state.uow_factory
    uow: UnitOfWork = factory()
    return uow


def clock_of(request: Request) -> Clock:
    """The app's injected clock (tests drive it; production reads UTC now)."""
    clock: Clock = request.app.state.runtime.clock
    return clock


def get_context(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> RequestContext:
    return RequestContext(
        principal=principal, now=clock_of(request)(), request_id=request_id_var.get()
    )


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0


def get_page(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"page size, at most {MAX_PAGE_SIZE}")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ContextDep = Annotated[RequestContext, Depends(get_context)]
PageDep = Annotated[PageParams, Depends(get_page)]
