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
    assert set(schemas) == {"Item", "ReferralItem", "HTTPValidationError"}
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
