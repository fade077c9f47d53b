"""Problem details (RFC 9457): the one answer shape of every failure, and the handlers.

`chassis.errors` holds the error model the domain raises; this module renders it (and FastAPI's
own validation and HTTP errors) as `application/problem+json` with a stable `type` URI.
`ProblemError` stays for edge adapters that speak HTTP directly (device lanes, the gateway).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from chassis.errors import DomainError, problem_type
from chassis.observability.context import request_id_var
from homebed_schemas.problem import PROBLEM_MEDIA_TYPE, FieldError, Problem

logger = logging.getLogger(__name__)


class ProblemResponse(Response):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ProblemError(Exception):
    """Raise anywhere in a request to answer with `application/problem+json`."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        type_: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.type = type_ or STATUS_TYPES.get(status, problem_type("error"))
        self.headers = headers
        self.extra = extra or {}


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    type_: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemResponse:
    kind = type_ or STATUS_TYPES.get(status, problem_type("error"))
    body: dict[str, Any] = {"type": kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    if extra:
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


STATUS_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
    504: "Gateway timeout",
}
# One stable type per status for problems that have no finer kind of their own.
STATUS_TYPES = {
    status: problem_type(title.lower().replace(" ", "-")) for status, title in STATUS_TITLES.items()
}
STATUS_TYPES[401] = problem_type("unauthenticated")
STATUS_TYPES[422] = problem_type("invalid-request")
STATUS_TYPES[500] = problem_type("internal-error")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error answers a route can give, as problem+json."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses)):
        documented[status] = {
            "description": STATUS_TITLES.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
    return documented


def render_domain_error(exc: DomainError, *, instance: str | None = None) -> ProblemResponse:
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        instance=instance,
        errors=exc.field_errors or None,
        type_=exc.type_uri,
        headers=exc.headers or None,
        extra=exc.extra or None,
    )


def field_errors_from_validation(exc: RequestValidationError) -> list[FieldError]:
    """Pydantic errors as `field` (dotted path, e.g. body.birth_date) + message, no input echo."""
    found: list[FieldError] = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        found.append(FieldError(field=location or "body", message=str(error.get("msg", "invalid"))))
    return found


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> ProblemResponse:
        return render_domain_error(exc, instance=request.url.path)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> ProblemResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            type_=exc.type,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = field_errors_from_validation(exc)
        fields = ", ".join(e.field for e in errors[:5])
        return problem_response(
            422,
            "Invalid request",
            f"Invalid fields: {fields}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        title = STATUS_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        return problem_response(
            exc.status_code,
            title,
            detail,
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        logger.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return problem_response(500, "Internal error", instance=request.url.path)
