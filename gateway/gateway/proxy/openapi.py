"""One OpenAPI document for the whole platform: the services' documents, under their public
paths, only the operations the route table exposes, with the gateway's security schemes.

Each exposed operation keeps the answers its service documents (problem+json, see
`chassis.openapi`; OperationOutcome under a FHIR base, `chassis.fhir_outcome`) and gains the
answers of the edge itself: 401 with `WWW-Authenticate` and 403
for the route's roles (both only where a credential is required), 413 on operations that carry
a body, 429 with `Retry-After` and `RateLimit-*`, and 502/503/504 when the upstream is down,
slow or breaks off. Public operations declare `security: []`."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from chassis.fhir_outcome import document_outcomes, is_fhir_path
from chassis.openapi import PROBLEM_REF, problem_schemas
from chassis.principal import Role
from gateway.edge.routes import PUBLIC, RouteTable
from gateway.proxy.forwarding import Upstream
from homebed_schemas.problem import PROBLEM_MEDIA_TYPE

logger = logging.getLogger(__name__)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "People (H5 apps, officers, ops): RS256 or EdDSA JWT from the identity "
        "provider, with `sub`, `role`, `provider_id`, `region_codes`.",
    },
    "partnerHmac": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Partner hospitals: `HMAC-SHA256 Credential=<key id>, Timestamp=<unix s>, "
        "Signature=<hex>`; signature = HMAC-SHA256(secret, 'HMAC-SHA256\\n<timestamp>\\n<METHOD>"
        "\\n<path>\\n<sorted query>\\n<hex sha256(body)>'); timestamps within ±5 minutes.",
    },
}
_PARAMETER = re.compile(r"\{[^}/]+\}")
BODY_METHODS = frozenset({"post", "put", "patch"})


def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": _integer_header("Requests allowed in the current window."),
    "RateLimit-Remaining": _integer_header("Requests left in the current window."),
    "RateLimit-Reset": _integer_header("Seconds until the window is full again."),
}
RETRY_AFTER = {"Retry-After": _integer_header("Seconds to wait before trying again.")}


def _edge_answer(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


UNAUTHORIZED = _edge_answer(
    "No credential, or one the gateway does not accept (bearer JWT or partner HMAC).",
    {
        "WWW-Authenticate": {
            "description": "The accepted schemes: `Bearer`, `HMAC-SHA256`.",
            "schema": {"type": "string"},
        }
    },
)
FORBIDDEN = _edge_answer(
    "The caller's role may not use this operation (`x-homebed-roles` lists the roles that may); "
    "the service may also refuse a role or an object and name the roles it needs."
)
EDGE_ANSWERS: dict[str, dict[str, Any]] = {
    "429": _edge_answer("Too many requests", {**RETRY_AFTER, **RATE_LIMIT_HEADERS}),
    "502": _edge_answer("Bad gateway: the upstream broke off its answer."),
    "503": _edge_answer("The upstream is unavailable (or its breaker is open).", RETRY_AFTER),
    "504": _edge_answer("The upstream did not answer in time.", RETRY_AFTER),
}
TOO_LARGE = _edge_answer("Payload too large: the body exceeds the gateway's limit.")


def _concrete(path: str) -> str:
    return _PARAMETER.sub("x", path)


def merge_openapi(
    documents: Mapping[str, dict[str, Any]],
    table: RouteTable,
    *,
    title: str = "HomeBed API",
    version: str = "1",
) -> dict[str, Any]:
    """Merge per-upstream documents; schema name clashes get the upstream's name as a prefix."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for upstream, source in sorted(documents.items()):
        document = copy.deepcopy(source)
        renames = _schema_renames(upstream, document, schemas)
        if renames:
            document = _rewrite_refs(document, renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for path, item in document.get("paths", {}).items():
            kept = _exposed_operations(upstream, path, item, table)
            if kept:
                paths.setdefault(path, {}).update(kept)
    for name, schema in problem_schemas().items():
        schemas.setdefault(name, schema)  # the edge's own answers refer to them
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
    if any(is_fhir_path(path) for path in paths):
        document_outcomes(merged)  # the edge's answers there are OperationOutcomes too
    return merged


def _schema_renames(
    upstream: str, document: dict[str, Any], merged: dict[str, Any]
) -> dict[str, str]:
    own = document.get("components", {}).get("schemas", {})
    prefix = re.sub(r"[^A-Za-z0-9]", "", upstream.title())
    return {
        name: f"{prefix}{name}"
        for name, schema in own.items()
        if name in merged and merged[name] != schema
    }


def _rewrite_refs(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    rewritten: dict[str, Any] = json.loads(text)
    return rewritten


def _exposed_operations(
    upstream: str, path: str, item: dict[str, Any], table: RouteTable
) -> dict[str, Any]:
    rule = table.match(_concrete(path))
    if rule is None or rule.upstream != upstream:
        return {}
    kept: dict[str, Any] = {}
    for method, operation in item.items():
        if method not in HTTP_METHODS:
            kept[method] = operation  # shared parameters, summary
            continue
        access = rule.access.get(method.upper())
        if access is None:
            continue
        responses: dict[str, Any] = operation.setdefault("responses", {})
        if access == PUBLIC:
            operation["security"] = []
            responses.pop("401", None)  # the service's, for a missing internal principal
        else:
            roles = [role.value for role in access]
            schemes: list[dict[str, list[str]]] = (
                [{"bearerAuth": []}] if set(roles) - {"hospital"} else []
            )
            if "hospital" in roles:
                schemes.append({"partnerHmac": []})
            operation["security"] = schemes
            operation["x-homebed-roles"] = roles
            responses["401"] = copy.deepcopy(UNAUTHORIZED)
            if set(roles) != {role.value for role in Role}:
                responses.setdefault("403", copy.deepcopy(FORBIDDEN))
        if method in BODY_METHODS:
            responses.setdefault("413", copy.deepcopy(TOO_LARGE))
        for status, answer in EDGE_ANSWERS.items():
            if status in responses:  # the service's own (e.g. 503 of a busy lane): add headers
                responses[status].setdefault("headers", {}).update(answer.get("headers", {}))
            else:
                responses[status] = copy.deepcopy(answer)
        operation["responses"] = dict(sorted(responses.items(), key=lambda kv: _status_key(kv[0])))
        operation.setdefault("tags", [upstream])
        kept[method] = operation
    return kept if any(method in HTTP_METHODS for method in kept) else {}


def _status_key(status: str) -> tuple[int, str]:
    return (int(status), "") if status.isdigit() else (1000, status)


async def fetch_documents(
    client: httpx.AsyncClient,
    upstreams: Mapping[str, Upstream],
    paths: Mapping[str, str],
    wait_seconds: float = 2.0,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Each upstream's own document (fetched in parallel); those that do not answer are listed."""

    async def fetch(name: str, upstream: Upstream) -> dict[str, Any] | None:
        try:
            response = await client.get(
                upstream.base_url + paths.get(name, "/openapi.json"), timeout=wait_seconds
            )
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document
        except (httpx.HTTPError, ValueError):
            logger.info("upstream OpenAPI unavailable", extra={"upstream": name})
            return None

    names = list(upstreams)
    results = await asyncio.gather(*(fetch(name, upstreams[name]) for name in names))
    documents = {name: doc for name, doc in zip(names, results, strict=True) if doc is not None}
    return documents, [name for name in names if name not in documents]
