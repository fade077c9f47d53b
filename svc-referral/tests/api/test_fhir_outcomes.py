"""Failures of the FHIR view are OperationOutcomes (application/fhir+json) with the problem's
status, validated with the maintained `fhir.resources` model; the rest of the API keeps
problem+json."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from fhir.resources.R4B.operationoutcome import OperationOutcome

from chassis.fhir_outcome import operation_outcome
from referral.testing import admin, hospital


def outcome_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = answer.json()
    OperationOutcome.model_validate(body)
    return body


async def test_a_task_the_caller_cannot_see_is_a_not_found_outcome(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/fhir/Task/no-such-task", headers=hospital())
    body = outcome_of(answer, 404)
    (issue,) = body["issue"]
    assert issue["severity"] == "error"
    assert issue["code"] == "not-found"
    assert issue["details"]["coding"][0]["code"].startswith("urn:homebed:problem:")


async def test_an_invalid_parameter_names_its_field_in_the_expression(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/fhir/Task", params={"_count": "0"}, headers=hospital())
    body = outcome_of(answer, 422)
    expressions = [e for issue in body["issue"] for e in issue["expression"]]
    assert expressions == ["query._count"]
    assert body["issue"][0]["code"] == "value"
    assert body["issue"][0]["diagnostics"]


async def test_no_credentials_is_a_login_outcome(client: httpx.AsyncClient) -> None:
    body = outcome_of(await client.get("/v1/fhir/Task/any"), 401)
    assert body["issue"][0]["code"] == "login"


async def test_an_unknown_fhir_resource_type_is_a_not_found_outcome(
    client: httpx.AsyncClient,
) -> None:
    body = outcome_of(await client.get("/v1/fhir/Patient/1", headers=hospital()), 404)
    assert body["issue"][0]["code"] == "not-found"


async def test_an_unexpected_error_under_the_fhir_base_is_an_exception_outcome(
    app: FastAPI,
) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/fhir/broken-for-test", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://referral") as http:
        body = outcome_of(await http.get("/v1/fhir/broken-for-test"), 500)
    assert body["issue"][0]["code"] == "exception"
    assert "boom" not in str(body)  # never the exception's text


async def test_the_rest_of_the_api_keeps_problem_json(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/referrals/no-such-referral", headers=admin())
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 404


async def test_the_openapi_documents_outcomes_under_the_fhir_base(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["schemas"]["OperationOutcome"]["required"] == [
        "resourceType",
        "issue",
    ]
    task_404 = document["paths"]["/v1/fhir/Task/{task_id}"]["get"]["responses"]["404"]
    assert task_404["content"]["application/fhir+json"]["schema"]["$ref"].endswith(
        "/OperationOutcome"
    )
    referral_404 = document["paths"]["/v1/referrals/{referral_id}"]["get"]["responses"]["404"]
    assert "application/fhir+json" not in referral_404["content"]


def test_a_problem_with_field_errors_becomes_one_issue_per_field() -> None:
    problem = {
        "type": "urn:homebed:problem:invalid-request",
        "title": "Invalid request",
        "status": 422,
        "request_id": "req-1",
        "errors": [
            {"field": "query.owner", "message": "too long"},
            {"field": "query._count", "message": "must be ≥ 1"},
        ],
    }
    outcome = operation_outcome(problem)
    OperationOutcome.model_validate(outcome)
    assert outcome["id"] == "req-1"
    assert [i["expression"] for i in outcome["issue"]] == [["query.owner"], ["query._count"]]
    assert [i["diagnostics"] for i in outcome["issue"]] == ["too long", "must be ≥ 1"]


def test_statuses_map_to_fhir_issue_types() -> None:
    codes = {s: operation_outcome({"status": s})["issue"][0]["code"] for s in (403, 409, 429, 502)}
    assert codes == {403: "forbidden", 409: "conflict", 429: "throttled", 502: "exception"}


def test_the_problem_s_other_members_stay_as_extensions() -> None:
    problem = {
        "type": "urn:homebed:problem:illegal-transition",
        "title": "Conflict",
        "status": 409,
        "detail": "cannot accept a cancelled referral",
        "allowed_actions": ["archive"],
    }
    outcome = operation_outcome(problem)
    OperationOutcome.model_validate(outcome)
    assert outcome["extension"] == [
        {"url": "urn:homebed:problem-member:allowed_actions", "valueString": '["archive"]'}
    ]
