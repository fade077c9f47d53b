"""The OpenAPI document of a service, correct by construction.

FastAPI documents every route's failures as its own `{detail: [...]}` 422 while the chassis
answers every failure as RFC 9457 `application/problem+json`. `install_openapi` (called by
`create_service_app`) builds FastAPI's document once and then:

- replaces FastAPI's default 422 (`HTTPValidationError`) with the `Problem` schema;
- adds the answers the chassis gives on every route whatever its code does: 401 on every
  route that depends on the caller (`get_principal` anywhere in its dependency tree, with the
  `internalPrincipal` security scheme), 422 on routes with parameters or a body, 400 (a body
  that cannot be decoded) and 415 (`chassis.content_type.JsonBodiesOnly`) on routes with a body;
- keeps what a route declares itself (`responses=problem_responses(404, 409)`), pointing every
  problem body at `#/components/schemas/Problem`.

Route-specific answers (403, 404, 409, 503 of `Unavailable`) cannot be guessed and stay the
route's own `problem_responses(...)`. The operations endpoints (`/healthz`, `/readyz`,
`/metrics`, `/docs`) stay out of the document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from chassis.principal import PRINCIPAL_HEADER
from chassis.problems import STATUS_TITLES
from homebed_schemas.problem import PROBLEM_MEDIA_TYPE, Problem

PROBLEM_REF = "#/components/schemas/Problem"
PRINCIPAL_SCHEME = "internalPrincipal"
# FastAPI's own validation models, dropped once nothing refers to them any more.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_schemas() -> dict[str, Any]:
    """`Problem` and `FieldError` as OpenAPI components (refs into `#/components/schemas`)."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(schema.pop("$defs", {}))
    components["Problem"] = schema
    return components


def problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}


def problem_answer(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented problem+json answer (an OpenAPI response object)."""
    return {
        "description": description or STATUS_TITLES.get(status, "Error"),
        "content": problem_content(),
    }


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether `call` is anywhere in a route's dependency tree."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is call:
            return True
        pending.extend(current.dependencies)
    return False


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every FastAPI route of an app, included routers flattened (FastAPI >= 0.16x keeps
    included routers as one node and resolves their routes lazily)."""
    iter_contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if iter_contexts is None:  # older FastAPI: routes are copied into the app
        yield from (route for route in routes if isinstance(route, APIRoute))
        return
    for context in iter_contexts(list(routes)):
        if isinstance(context.original_route, APIRoute):
            yield context


def install_openapi(app: FastAPI, *, principal_dependency: Callable[..., Any]) -> None:
    """Make `app.openapi()` answer the problem-aware document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)  # FastAPI's own, cached on app.openapi_schema
            app.openapi_schema = document_problems(
                document, app.routes, principal_dependency=principal_dependency
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(
    document: dict[str, Any],
    routes: Iterable[BaseRoute],
    *,
    principal_dependency: Callable[..., Any],
) -> dict[str, Any]:
    """Rewrite a FastAPI document in place (and return it): problem+json everywhere, plus the
    universal answers of each operation."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(problem_schemas())
    paths = document.get("paths", {})
    authenticated = False
    for route in api_routes(routes):
        if not route.include_in_schema:
            continue
        item = paths.get(route.path_format, {})
        needs_principal = depends_on(route.dependant, principal_dependency)
        for method in sorted(route.methods or ()):
            operation = item.get(method.lower())
            if not isinstance(operation, dict):
                continue
            _document_operation(operation, needs_principal=needs_principal)
            authenticated = authenticated or needs_principal
    if authenticated:
        components.setdefault("securitySchemes", {})[PRINCIPAL_SCHEME] = {
            "type": "apiKey",
            "in": "header",
            "name": PRINCIPAL_HEADER,
            "description": "The gateway's short-lived internal principal token (HS256). "
            "Clients never send it: they reach the services through the gateway.",
        }
    _drop_unreferenced(document, FASTAPI_VALIDATION_SCHEMAS)
    return document


def _document_operation(operation: dict[str, Any], *, needs_principal: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            _as_problem(int(code), response)
    universal: list[int] = []
    if needs_principal:
        universal.append(401)
        operation.setdefault("security", [{PRINCIPAL_SCHEME: []}])
    if operation.get("requestBody"):
        universal += [400, 415]  # a body that is not decodable JSON text; not JSON at all
    if operation.get("parameters") or operation.get("requestBody"):
        universal.append(422)
    for status in universal:
        responses.setdefault(str(status), problem_answer(status))
    operation["responses"] = dict(sorted(responses.items(), key=lambda kv: _status_key(kv[0])))


def _as_problem(status: int, response: dict[str, Any]) -> None:
    """An error answer's body is a problem: FastAPI's `HTTPValidationError` and inline copies
    of the problem schema become the one `Problem` component."""
    if "$ref" in response:
        return
    content: dict[str, Any] = response.get("content") or {}
    schema = content.get("application/json", {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError"):
        content.pop("application/json")
    if not content or PROBLEM_MEDIA_TYPE in content:
        content[PROBLEM_MEDIA_TYPE] = {"schema": {"$ref": PROBLEM_REF}}
    response["content"] = content
    if response.get("description") in (None, "", "Validation Error"):
        response["description"] = STATUS_TITLES.get(status, "Error")


def _status_key(status: str) -> tuple[int, str]:
    return (int(status), "") if status.isdigit() else (1000, status)


def _drop_unreferenced(document: dict[str, Any], names: Iterable[str]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for name in names:
        if name not in schemas:
            continue
        text = json.dumps({k: v for k, v in document.items() if k != "components"})
        others = json.dumps({k: v for k, v in schemas.items() if k != name})
        if f'"#/components/schemas/{name}"' not in text + others:
            del schemas[name]
