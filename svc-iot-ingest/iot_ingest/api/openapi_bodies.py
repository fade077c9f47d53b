"""OpenAPI request bodies of the raw-bytes routes (msgspec, not pydantic): the JSON Schema of
the body's msgspec type, its named parts under `components/schemas` (merged in by
`document_msgspec_bodies`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from fastapi import FastAPI

REF_TEMPLATE = "#/components/schemas/{name}"
_BODY_TYPES: list[Any] = []


def msgspec_body(body_type: Any, description: str) -> dict[str, Any]:
    """`openapi_extra` of a route whose JSON body decodes into `body_type` (required)."""
    _BODY_TYPES.append(body_type)
    (schema,), _ = msgspec.json.schema_components([body_type], ref_template=REF_TEMPLATE)
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def document_msgspec_bodies(app: FastAPI) -> None:
    """Make `app.openapi()` carry the components the msgspec bodies refer to."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = original()
        _, components = msgspec.json.schema_components(_BODY_TYPES, ref_template=REF_TEMPLATE)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in components.items():
            schemas.setdefault(name, schema)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
