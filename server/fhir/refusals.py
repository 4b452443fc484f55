"""Map every refusal to (HTTP status, OperationOutcome), through the REST API's one error table."""

from __future__ import annotations

from typing import Any

from server.api.errors import describe
from server.errors import APIError, DomainError
from server.fhir.outcome import FHIR_STATUS, operation_outcome


def status_of(error: APIError | DomainError) -> int:
    """Return the HTTP status of a refusal: the REST API's, unless FHIR fixes it otherwise."""
    return FHIR_STATUS.get(error.code) or describe(error).status


def outcome_of(error: APIError | DomainError) -> tuple[int, dict[str, Any]]:
    """Map a refusal of either family to (HTTP status, OperationOutcome)."""
    status = status_of(error)
    return status, operation_outcome(status, error.code, error.message, error.details)
