"""The two failures that are not chassis errors: a concurrent update, and stored PII that does
not decrypt. Every other error is a `chassis.errors` one, rendered by the chassis."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy.orm.exc import StaleDataError

from chassis.errors import Conflict
from chassis.problems import ProblemResponse, problem_response, render_domain_error
from intake.crypto import CryptoError

logger = logging.getLogger(__name__)

STALE = "The record changed while this request was processed; reload and retry."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> ProblemResponse:
        return render_domain_error(Conflict(STALE), instance=request.url.path)

    @app.exception_handler(CryptoError)
    async def _crypto(request: Request, exc: CryptoError) -> ProblemResponse:
        logger.error("stored personal data could not be decrypted", extra={"error": str(exc)})
        return problem_response(500, "Internal error", instance=request.url.path)
