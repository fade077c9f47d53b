"""A service's OpenAPI documents the answers the chassis gives, as problem+json, by construction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel
from sqlalchemy import MetaData

from chassis.api import ContextDep, PageDep, PrincipalDep
from chassis.app import create_service_app
from chassis.context import RequestContext
from chassis.db import chassis_tables
from chassis.problems import problem_responses
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


class NoteIn(BaseModel):
    text: str


class NoteOut(BaseModel):
    id: str
    text: str


def nested_context(ctx: ContextDep) -> RequestContext:
    return ctx  # a service's own context (like intake's) depends on the chassis one


router = APIRouter()


@router.post("/v1/notes", status_code=201, responses=problem_responses(403, 409))
async def create_note(
    body: NoteIn, ctx: Annotated[RequestContext, Depends(nested_context)]
) -> NoteOut:
    return NoteOut(id="n1", text=body.text)


@router.get("/v1/notes/{note_id}", responses=problem_responses(404))
async def get_note(note_id: str, principal: PrincipalDep) -> NoteOut:
    return NoteOut(id=note_id, text="")


@router.get("/v1/notes")
async def list_notes(page: PageDep, ctx: ContextDep) -> list[NoteOut]:
    return []


@router.post("/v1/calculator")
async def calculate(body: NoteIn) -> dict[str, str]:
    return {"text": body.text}  # public: no principal


@router.get("/v1/about")
async def about(lang: Annotated[str | None, Query()] = None) -> dict[str, str]:
    return {}


@router.get("/v1/ping")
async def ping() -> dict[str, str]:
    return {}


def service_app(tmp_path: Path) -> FastAPI:
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db", kafka_enabled=False
    )
    runtime = ServiceRuntime(
        settings=settings, tables=chassis_tables(MetaData()), migrations=None, topic_handlers={}
    )
    return create_service_app(runtime=runtime, title="t", routers=[router])


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def test_fastapi_validation_error_is_replaced_by_the_problem_schema(tmp_path: Path) -> None:
    document = service_app(tmp_path).openapi()
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert '"#/components/schemas/ValidationError"' not in text
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}
    assert "$defs" not in schemas["Problem"]
    for item in document["paths"].values():
        for op in item.values():
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert answer["content"] == PROBLEM, (status, op["operationId"])


def test_universal_answers_per_operation(tmp_path: Path) -> None:
    document = service_app(tmp_path).openapi()
    statuses = {
        (method, path): sorted(int(s) for s in op["responses"])
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert statuses == {
        # authenticated through a service's own context, body: 400/415/422, declared 403/409 kept
        ("post", "/v1/notes"): [201, 400, 401, 403, 409, 415, 422],
        ("get", "/v1/notes/{note_id}"): [200, 401, 404, 422],
        ("get", "/v1/notes"): [200, 401, 422],
        ("post", "/v1/calculator"): [200, 400, 415, 422],  # public: no 401
        ("get", "/v1/about"): [200, 422],
        ("get", "/v1/ping"): [200],  # nothing to validate, nobody to authenticate
    }


def test_authenticated_operations_name_the_internal_principal(tmp_path: Path) -> None:
    document = service_app(tmp_path).openapi()
    scheme = document["components"]["securitySchemes"]["internalPrincipal"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-HomeBed-Principal"}
    assert operation(document, "get", "/v1/notes")["security"] == [{"internalPrincipal": []}]
    assert "security" not in operation(document, "post", "/v1/calculator")


def test_operations_endpoints_stay_out_and_the_document_is_cached(tmp_path: Path) -> None:
    app = service_app(tmp_path)
    document = app.openapi()
    assert not {"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"} & set(
        document["paths"]
    )
    assert app.openapi() is document
