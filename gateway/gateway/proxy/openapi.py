"""One OpenAPI document for the whole platform: the services' documents, under their public
paths, only the operations the route table exposes, with the gateway's security schemes."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from gateway.edge.routes import PUBLIC, RouteTable
from gateway.proxy.forwarding import Upstream

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
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


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
        if access == PUBLIC:
            operation["security"] = []
        else:
            roles = [role.value for role in access]
            schemes: list[dict[str, list[str]]] = (
                [{"bearerAuth": []}] if set(roles) - {"hospital"} else []
            )
            if "hospital" in roles:
                schemes.append({"partnerHmac": []})
            operation["security"] = schemes
            operation["x-homebed-roles"] = roles
        operation.setdefault("tags", [upstream])
        kept[method] = operation
    return kept if any(method in HTTP_METHODS for method in kept) else {}


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
