"""Domain and service errors as problem responses."""

from __future__ import annotations

from fastapi import FastAPI, Request

from chassis.problems import ProblemResponse, problem_response
from iot_ingest.domain.alarms.errors import IllegalTransition, InvalidAlarmInput
from iot_ingest.errors import ServiceError
from iot_ingest.telemetry.lane import LaneRefusal


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> ProblemResponse:
        return problem_response(exc.status, exc.title, str(exc), instance=request.url.path)

    @app.exception_handler(IllegalTransition)
    async def _illegal(request: Request, exc: IllegalTransition) -> ProblemResponse:
        return problem_response(
            409,
            "Illegal transition",
            str(exc),
            instance=request.url.path,
            extra={"status_now": exc.status, "allowed_next_steps": list(exc.allowed)},
        )

    @app.exception_handler(InvalidAlarmInput)
    async def _invalid(request: Request, exc: InvalidAlarmInput) -> ProblemResponse:
        return problem_response(422, "Invalid request", str(exc), instance=request.url.path)

    @app.exception_handler(LaneRefusal)
    async def _lane(request: Request, exc: LaneRefusal) -> ProblemResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )
