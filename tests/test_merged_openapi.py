"""The gateway's merged OpenAPI, built from the real services' documents and the default route
table: every published operation keeps its service's problem answers and gains the edge's own,
and the whole document loads as a valid OpenAPI 3.1 schema in Schemathesis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from chassis.fhir_outcome import is_fhir_path
from gateway.edge.routes import RouteTable
from gateway.proxy.openapi import merge_openapi
from gateway.settings import DEFAULT_ROUTES_FILE, load_route_rules

from .test_openapi_conformance import SERVICES  # the same apps as the conformance test

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path: Path = tmp_path_factory.mktemp("merged")
    documents = {
        name: build(f"sqlite+aiosqlite:///{tmp_path}/{name}.db").openapi()
        for name, build in SERVICES.items()
    }
    return merge_openapi(documents, RouteTable(load_route_rules(DEFAULT_ROUTES_FILE)))


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_documents_the_edge_and_the_service_answers(
    document: dict[str, Any],
) -> None:
    published = operations(document)
    assert len(published) > 40
    assert any(is_fhir_path(path) for _, path, _ in published)  # the FHIR view is published
    for method, path, operation in published:
        answers = operation["responses"]
        where = f"{method.upper()} {path}"
        assert {"429", "502", "503", "504"} <= set(answers), where
        assert set(answers["429"]["headers"]) >= {"Retry-After", "RateLimit-Remaining"}, where
        if operation["security"]:
            assert "WWW-Authenticate" in answers["401"]["headers"], where
            assert operation["x-homebed-roles"], where
        else:
            assert "401" not in answers, where  # public
        if method in {"post", "put", "patch"}:
            assert "413" in answers, where
        # failures are problem+json, and OperationOutcomes under the FHIR base (a FHIR
        # client's shape: chassis.fhir_outcome, the gateway's refusals included)
        failure_type = "application/fhir+json" if is_fhir_path(path) else "application/problem+json"
        for status, answer in answers.items():
            if int(status) >= 400:
                content = answer["content"]
                assert list(content) == [failure_type], (where, status)
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert "internalPrincipal" not in text  # the services' internal scheme stays inside
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "partnerHmac"}


def test_public_routes_are_security_less(document: dict[str, Any]) -> None:
    check = document["paths"]["/v1/eligibility/check"]["post"]
    assert check["security"] == []
    assert "401" not in check["responses"]
    assert "403" not in check["responses"]


def test_the_merged_document_loads_in_schemathesis(document: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(document)
    loaded = [result.ok() for result in schema.get_all_operations()]
    assert len(loaded) == len(operations(document))
