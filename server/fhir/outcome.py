"""Every refusal as an OperationOutcome with the project's code and the right HTTP status.

One function maps both error families, so it holds before and after the actions move from
`APIError` to `DomainError`: a domain class gives the status, an APIError keeps its own.
"""

from __future__ import annotations

from typing import Any

from server.errors import APIError, Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable

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
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Invalid, 422),
    (Unavailable, 503),
)
# Codes whose HTTP status FHIR fixes differently from the REST API's.
FHIR_STATUS = {"PRECONDITION_FAILED": 412, "VALIDATION_ERROR": 422}


class FhirError(APIError):
    """A refusal made by the FHIR layer itself (bad search parameter, unsupported media type)."""


def status_of(error: APIError | DomainError) -> int:
    """Return the HTTP status of a refusal from either family."""
    if error.code in FHIR_STATUS:
        return FHIR_STATUS[error.code]
    if isinstance(error, APIError):
        return error.status
    for kind, status in DOMAIN_STATUS:
        if isinstance(error, kind):
            return status
    return 400


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


def outcome_of(error: APIError | DomainError) -> tuple[int, dict[str, Any]]:
    """Map a refusal of either family to (HTTP status, OperationOutcome)."""
    status = status_of(error)
    return status, operation_outcome(status, error.code, error.message, error.details)


def invalid(element: str, problem: str) -> FhirError:
    """Refuse a resource whose element we cannot serve (422 INVALID_RESOURCE, naming it)."""
    return FhirError(
        422,
        "INVALID_RESOURCE",
        f"{element}: {problem}",
        {"errors": [{"field": element, "problem": problem, "type": "invalid"}]},
    )
