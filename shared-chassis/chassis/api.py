"""FastAPI dependencies every service uses: the verified principal and the unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chassis.db import UnitOfWork
from chassis.errors import ProblemError
from chassis.principal import (
    PRINCIPAL_HEADER,
    InvalidPrincipalToken,
    Principal,
    Role,
    verify_internal_token,
)


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


def get_uow(request: Request) -> UnitOfWork:
    factory = request.app.state.uow_factory
    uow: UnitOfWork = factory()
    return uow


PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def require_roles(principal: Principal, *roles: Role) -> None:
    """403 unless the principal has one of the roles (coarse check; objects are checked too)."""
    if principal.role not in roles:
        raise ProblemError(403, "Forbidden", "This role may not perform this action.")


def not_found(what: str = "Resource") -> ProblemError:
    """Another tenant's object answers exactly like a missing one."""
    return ProblemError(404, "Not found", f"{what} not found.")
