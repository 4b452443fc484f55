"""OperationOutcome: the FHIR shape of a refusal, and the FHIR layer's own refusals.

The HTTP status of a domain error comes from the REST API's one table (server/fhir/refusals.py
asks `server.api.errors.describe`); FHIR changes it only where its spec says so (FHIR_STATUS).
"""

from __future__ import annotations

from typing import Any

from server.errors import APIError

# The FHIR issue type (IssueType value set) for an HTTP status.
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "duplicate",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    500: "exception",
    503: "transient",
}
# Codes whose HTTP status FHIR fixes differently from the REST API's.
FHIR_STATUS = {"PRECONDITION_FAILED": 412, "VALIDATION_ERROR": 422}


class FhirError(APIError):
    """A refusal made by the FHIR layer itself (bad search parameter, unsupported media type)."""


def operation_outcome(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build an OperationOutcome: one issue per field problem, or one for the whole refusal."""
    severity = "fatal" if status >= 500 else "error"
    issue_type = ISSUE_TYPE.get(status, "processing")
    coding = {"system": "urn:clinic-queue:error", "code": code}
    problems = (details or {}).get("errors")
    issues: list[dict[str, Any]] = []
    if isinstance(problems, list) and problems:
        for problem in problems[:50]:
            issue: dict[str, Any] = {
                "severity": severity,
                "code": issue_type,
                "details": {"coding": [coding], "text": str(problem.get("problem", message))},
            }
            if problem.get("field"):
                issue["expression"] = [str(problem["field"])]
            issues.append(issue)
    else:
        issues.append(
            {
                "severity": severity,
                "code": issue_type,
                "details": {"coding": [coding], "text": message},
            }
        )
    return {"resourceType": "OperationOutcome", "issue": issues}


def invalid(element: str, problem: str) -> FhirError:
    """Refuse a resource whose element we cannot serve (422 INVALID_RESOURCE, naming it)."""
    return FhirError(
        422,
        "INVALID_RESOURCE",
        f"{element}: {problem}",
        {"errors": [{"field": element, "problem": problem, "type": "invalid"}]},
    )
