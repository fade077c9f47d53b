"""A problem (RFC 9457) as a FHIR R4 OperationOutcome: what a FHIR client expects from a FHIR
endpoint's failure (R4 §3.1.0.5, "OperationOutcome ... returned with the HTTP error").

Pure functions on the problem's JSON body, so every failure under a FHIR base — the gateway's
own refusals (credentials, role, rate limit, an upstream down) and the service's (tenancy 404,
validation 422, an unknown path, an unexpected error) — is translated the same way, with the
same status, and without losing the problem's type, title or request id.
"""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]
PROBLEM_CORE = frozenset({"type", "title", "status", "detail", "instance", "request_id", "errors"})
PROBLEM_MEMBER_URL = "urn:homebed:problem-member:"  # + the member's name; its value as JSON text
FHIR_BASES = ("/v1/fhir",)  # svc-referral's FHIR R4 view (its README: why /v1)
FHIR_JSON = "application/fhir+json"
OPERATION_OUTCOME_REF = "#/components/schemas/OperationOutcome"
PROBLEM_TYPE_SYSTEM = "urn:ietf:rfc:9457"  # the coding system of `details`: the problem's type URI

# The FHIR IssueType (http://hl7.org/fhir/issue-type) nearest to each HTTP status.
ISSUE_CODES: dict[int, str] = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
    504: "timeout",
}


def is_fhir_path(path: str) -> bool:
    return any(path == base or path.startswith(base + "/") for base in FHIR_BASES)


def issue_code(status: int) -> str:
    if status in ISSUE_CODES:
        return ISSUE_CODES[status]
    return "exception" if status >= 500 else "processing"


def operation_outcome(problem: JSON) -> JSON:
    """The OperationOutcome of one problem body: one issue per field error (with its
    `expression`), else one issue carrying the problem's detail."""
    status = int(problem.get("status") or 500)
    code = issue_code(status)
    details: JSON = {"text": str(problem.get("title") or "Error")}
    if problem.get("type"):
        details["coding"] = [{"system": PROBLEM_TYPE_SYSTEM, "code": str(problem["type"])}]
    issues: list[JSON] = []
    for error in problem.get("errors") or ():
        issues.append(
            {
                "severity": "error",
                "code": "value" if status == 422 else code,
                "details": details,
                "diagnostics": str(error.get("message", "")),
                "expression": [str(error.get("field", ""))],
            }
        )
    if not issues:
        issue: JSON = {"severity": "error", "code": code, "details": details}
        if problem.get("detail"):
            issue["diagnostics"] = str(problem["detail"])
        issues.append(issue)
    outcome: JSON = {"resourceType": "OperationOutcome", "issue": issues}
    members = [
        {"url": PROBLEM_MEMBER_URL + key, "valueString": json.dumps(value, ensure_ascii=False)}
        for key, value in sorted(problem.items())
        if key not in PROBLEM_CORE
    ]
    if members:
        # what the problem adds (`required_roles`, `allowed_actions`, ...) stays machine-readable
        outcome["extension"] = members
    if problem.get("request_id"):
        # the request id names this answer, as a problem's `request_id` does (for the logs)
        outcome["id"] = str(problem["request_id"])
    return outcome


OPERATION_OUTCOME_SCHEMA: JSON = {
    "title": "OperationOutcome",
    "description": "FHIR R4 OperationOutcome: the answer of a failed FHIR request.",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "id": {"type": "string", "description": "the request id (as in the service's logs)"},
        "extension": {
            "type": "array",
            "description": "the problem's other members (e.g. required_roles, allowed_actions): "
            "url urn:homebed:problem-member:<name>, valueString the member as JSON text",
            "items": {
                "type": "object",
                "required": ["url", "valueString"],
                "properties": {"url": {"type": "string"}, "valueString": {"type": "string"}},
            },
        },
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string", "enum": ["fatal", "error", "warning"]},
                    "code": {"type": "string", "description": "FHIR IssueType"},
                    "details": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "coding": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def document_outcomes(document: JSON) -> None:
    """Rewrite an OpenAPI document in place: under a FHIR base every failure (status >= 400)
    is documented as an OperationOutcome, and the schema is added to the components."""
    document.setdefault("components", {}).setdefault("schemas", {})["OperationOutcome"] = (
        OPERATION_OUTCOME_SCHEMA
    )
    for path, item in document.get("paths", {}).items():
        if not is_fhir_path(path):
            continue
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for code, answer in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    answer["content"] = {FHIR_JSON: {"schema": {"$ref": OPERATION_OUTCOME_REF}}}
