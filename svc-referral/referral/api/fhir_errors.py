"""Failures of the FHIR view answered as OperationOutcome (application/fhir+json).

The chassis renders every failure as problem+json; here each of its exception handlers is
wrapped so that, under the FHIR base, the same problem goes out as an OperationOutcome with the
same status and headers. Wrapping the handlers (not a middleware) also covers the unexpected
500, which Starlette answers outside every middleware.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from chassis.fhir_outcome import FHIR_JSON, document_outcomes, is_fhir_path, operation_outcome
from homebed_schemas.problem import PROBLEM_MEDIA_TYPE

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def as_outcome(response: Response) -> Response:
    if not (response.media_type or "").startswith(PROBLEM_MEDIA_TYPE):
        return response
    outcome = operation_outcome(orjson.loads(bytes(response.body)))
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in ("content-length", "content-type")
    }
    return Response(
        orjson.dumps(outcome),
        status_code=response.status_code,
        headers=headers,
        media_type=FHIR_JSON,
    )


def _fhir_aware(handler: Handler) -> Handler:
    async def answer(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        return as_outcome(response) if is_fhir_path(request.url.path) else response

    return answer


def answer_fhir_failures_as_outcomes(app: FastAPI) -> None:
    """Call after the chassis installed its handlers and its OpenAPI (create_service_app)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _fhir_aware(handler)
    chassis_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        document = chassis_openapi()
        if "OperationOutcome" not in document["components"]["schemas"]:
            document_outcomes(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
