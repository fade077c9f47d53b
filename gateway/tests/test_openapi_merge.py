"""Merging the services' OpenAPI documents under the route table."""

from __future__ import annotations

from typing import Any

from gateway.edge.routes import RouteRule, RouteTable
from gateway.proxy.openapi import merge_openapi

ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}}


def _operation(ref: str) -> dict[str, Any]:
    return {
        "responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": ref}}}},
        }
    }


INTAKE = {
    "paths": {
        "/v1/applications/{application_id}/decision": {
            "post": _operation("#/components/schemas/Item")
        },
        "/v1/applications": {"get": _operation("#/components/schemas/Item"), "delete": {}},
        "/internal/rebuild": {"post": {}},
    },
    "components": {
        "schemas": {
            "Item": {"type": "object", "properties": {"application_id": {"type": "string"}}},
            "HTTPValidationError": ERROR_SCHEMA,
        }
    },
}
REFERRAL = {
    "paths": {
        "/v1/referrals/inbound": {"post": _operation("#/components/schemas/Item")},
        "/v1/applications": {"get": {}},  # routed to intake, not to referral: dropped
    },
    "components": {
        "schemas": {
            "Item": {"type": "object", "properties": {"referral_id": {"type": "string"}}},
            "HTTPValidationError": ERROR_SCHEMA,
        }
    },
}
TABLE = RouteTable(
    [
        RouteRule(path="/v1/applications", upstream="intake", access={"GET": ["officer", "elder"]}),
        RouteRule(
            path="/v1/applications/*/decision", upstream="intake", access={"POST": ["officer"]}
        ),
        RouteRule(path="/v1/referrals/inbound", upstream="referral", access={"POST": ["hospital"]}),
        RouteRule(path="/v1/eligibility", upstream="intake", access={"POST": "public"}),
    ]
)


def test_only_routed_operations_are_published_with_their_security() -> None:
    merged = merge_openapi({"intake": INTAKE, "referral": REFERRAL}, TABLE)
    assert set(merged["paths"]) == {
        "/v1/applications",
        "/v1/applications/{application_id}/decision",
        "/v1/referrals/inbound",
    }
    applications = merged["paths"]["/v1/applications"]
    assert set(applications) == {"get"}  # DELETE is not in the route table
    assert applications["get"]["security"] == [{"bearerAuth": []}]
    assert applications["get"]["x-homebed-roles"] == ["officer", "elder"]
    inbound = merged["paths"]["/v1/referrals/inbound"]["post"]
    assert inbound["security"] == [{"partnerHmac": []}]
    assert set(merged["components"]["securitySchemes"]) == {"bearerAuth", "partnerHmac"}


def test_clashing_schema_names_are_prefixed_and_references_follow() -> None:
    merged = merge_openapi({"intake": INTAKE, "referral": REFERRAL}, TABLE)
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Item", "ReferralItem", "HTTPValidationError", "Problem", "FieldError"}
    assert "referral_id" in schemas["ReferralItem"]["properties"]
    assert "application_id" in schemas["Item"]["properties"]
    inbound = merged["paths"]["/v1/referrals/inbound"]["post"]
    ref = inbound["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ReferralItem"


def test_public_operations_declare_no_security() -> None:
    document = {"paths": {"/v1/eligibility/check": {"post": {}}}}
    merged = merge_openapi({"intake": document}, TABLE)
    assert merged["paths"]["/v1/eligibility/check"]["post"]["security"] == []


def test_the_sources_are_not_modified() -> None:
    before = repr(INTAKE)
    merge_openapi({"intake": INTAKE, "referral": REFERRAL}, TABLE)
    assert repr(INTAKE) == before


def _statuses(operation: dict[str, Any]) -> list[str]:
    return list(operation["responses"])


def test_the_edge_answers_are_documented_with_their_headers() -> None:
    service_answers = {
        "200": {"description": "OK"},
        "401": {"description": "internal principal missing"},
        "404": {"description": "Not found"},
        "503": {"description": "busy lane", "content": {}},
    }
    document = {
        "paths": {
            "/v1/applications": {"get": {"responses": dict(service_answers)}},
            "/v1/applications/{application_id}/decision": {"post": {}},
            "/v1/eligibility/check": {"post": {"responses": dict(service_answers)}},
        }
    }
    merged = merge_openapi({"intake": document}, TABLE)
    listed = merged["paths"]["/v1/applications"]["get"]
    assert _statuses(listed) == ["200", "401", "403", "404", "429", "502", "503", "504"]
    unauthorized = listed["responses"]["401"]
    assert set(unauthorized["headers"]) == {"WWW-Authenticate"}
    assert unauthorized["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert set(listed["responses"]["429"]["headers"]) == {
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    }
    assert listed["responses"]["503"]["description"] == "busy lane"  # the service's is kept
    assert set(listed["responses"]["503"]["headers"]) == {"Retry-After"}
    decision = merged["paths"]["/v1/applications/{application_id}/decision"]["post"]
    assert _statuses(decision) == ["401", "403", "413", "429", "502", "503", "504"]
    public = merged["paths"]["/v1/eligibility/check"]["post"]
    assert public["security"] == []
    assert _statuses(public) == ["200", "404", "413", "429", "502", "503", "504"]  # no 401/403
    assert {"Problem", "FieldError"} <= set(merged["components"]["schemas"])


def test_no_403_where_every_role_may_call() -> None:
    everyone = ["elder", "family", "caregiver", "provider_admin", "officer", "hospital", "ops"]
    table = RouteTable([RouteRule(path="/v1/me", upstream="intake", access={"GET": everyone})])
    merged = merge_openapi({"intake": {"paths": {"/v1/me": {"get": {}}}}}, table)
    assert "403" not in merged["paths"]["/v1/me"]["get"]["responses"]


def test_failures_under_the_fhir_base_are_documented_as_operation_outcomes() -> None:
    fhir_answer = {"content": {"application/fhir+json": {"schema": {"type": "object"}}}}
    referral = {
        "paths": {
            "/v1/fhir/Task/{task_id}": {
                "get": {"responses": {"200": fhir_answer, "404": {"description": "Not found"}}}
            },
            "/v1/referrals/inbound": {"post": _operation("#/components/schemas/Item")},
        }
    }
    table = RouteTable(
        [
            RouteRule(path="/v1/fhir", upstream="referral", access={"GET": ["hospital"]}),
            RouteRule(
                path="/v1/referrals/inbound", upstream="referral", access={"POST": ["hospital"]}
            ),
        ]
    )
    merged = merge_openapi({"referral": referral}, table)
    task = merged["paths"]["/v1/fhir/Task/{task_id}"]["get"]["responses"]
    for status in ("401", "403", "404", "429", "502", "503", "504"):
        assert task[status]["content"] == {
            "application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}
        }, status
    assert set(task["401"]["headers"]) == {"WWW-Authenticate"}  # the headers stay
    assert task["200"]["content"] == fhir_answer["content"]
    inbound = merged["paths"]["/v1/referrals/inbound"]["post"]["responses"]
    assert "application/problem+json" in inbound["401"]["content"]
    assert merged["components"]["schemas"]["OperationOutcome"]["required"] == [
        "resourceType",
        "issue",
    ]
