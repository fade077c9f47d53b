"""A problem (RFC 9457) as a FHIR R4 OperationOutcome: what a FHIR client expects from a FHIR
endpoint's failure (R4 §3.1.0.5, "OperationOutcome ... returned with the HTTP error").

Pure functions on the problem's JSON body, so every failure of the FHIR view — authentication,
tenancy (404), validation (422), an unknown path, an unexpected error — is translated in one
place, with the same status, and without losing the problem's type, title or request id.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
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
