"""Domain and service errors as problem details: 404, 403, 409 (with allowed next steps), 422."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy.orm.exc import StaleDataError

from chassis.problems import ProblemResponse, problem_response
from homebed_schemas.problem import FieldError
from intake.crypto import CryptoError
from intake.domain.errors import (
    ContractViolation,
    IdentityMismatch,
    IllegalTransition,
    InvalidResidentId,
    PreconditionFailed,
    UnknownJurisdiction,
)
from intake.service.errors import Conflict, Forbidden, NotFound

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> ProblemResponse:
        return problem_response(
            404, "Not found", f"{exc.what} not found.", instance=request.url.path
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> ProblemResponse:
        return problem_response(403, "Forbidden", str(exc), instance=request.url.path)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> ProblemResponse:
        return problem_response(
            409, "Conflict", exc.detail, instance=request.url.path, extra=exc.extra
        )

    @app.exception_handler(IllegalTransition)
    async def _illegal(request: Request, exc: IllegalTransition) -> ProblemResponse:
        extra = {"state": exc.state, "action": exc.action, "allowed_actions": list(exc.allowed)}
        return problem_response(
            409, "Illegal transition", str(exc), instance=request.url.path, extra=extra
        )

    @app.exception_handler(PreconditionFailed)
    async def _precondition(request: Request, exc: PreconditionFailed) -> ProblemResponse:
        return problem_response(
            409,
            "Precondition failed",
            str(exc),
            instance=request.url.path,
            extra={"action": exc.action, "problems": list(exc.problems)},
        )

    @app.exception_handler(UnknownJurisdiction)
    async def _unknown(request: Request, exc: UnknownJurisdiction) -> ProblemResponse:
        message = f"unknown jurisdiction; known: {', '.join(exc.known)}"
        return _invalid(request, [FieldError(field="body.jurisdiction", message=message)])

    @app.exception_handler(InvalidResidentId)
    async def _bad_id(request: Request, exc: InvalidResidentId) -> ProblemResponse:
        return _invalid(request, [FieldError(field="body.id_number", message=exc.problem)])

    @app.exception_handler(IdentityMismatch)
    async def _mismatch(request: Request, exc: IdentityMismatch) -> ProblemResponse:
        errors = [FieldError(field=f"body.{name}", message=str(exc)) for name in exc.fields]
        return _invalid(request, errors)

    @app.exception_handler(ContractViolation)
    async def _contract(request: Request, exc: ContractViolation) -> ProblemResponse:
        errors = [FieldError(field=f"body.{name}", message=msg) for name, msg in exc.problems]
        return _invalid(request, errors)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> ProblemResponse:
        detail = "The record changed while this request was processed; reload and retry."
        return problem_response(409, "Conflict", detail, instance=request.url.path)

    @app.exception_handler(CryptoError)
    async def _crypto(request: Request, exc: CryptoError) -> ProblemResponse:
        logger.error("stored personal data could not be decrypted", extra={"error": str(exc)})
        return problem_response(500, "Internal error", instance=request.url.path)


def _invalid(request: Request, errors: list[FieldError]) -> ProblemResponse:
    fields = ", ".join(e.field for e in errors)
    return problem_response(
        422,
        "Invalid request",
        f"Invalid fields: {fields}",
        instance=request.url.path,
        errors=errors,
    )
