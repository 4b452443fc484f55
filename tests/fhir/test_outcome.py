"""One mapping for both error families: before and after the actions raise DomainError."""

from __future__ import annotations

import pytest

from server.errors import (
    APIError,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from server.fhir.refusals import outcome_of
from tests.fhir.conftest import valid


@pytest.mark.parametrize(
    ("error", "status", "issue"),
    [
        (Conflict("SLOT_FULL", "that slot is full", {"slot_id": 3}), 409, "conflict"),
        (APIError(409, "SLOT_FULL", "that slot is full", {"slot_id": 3}), 409, "conflict"),
        (NotFound("SLOT_NOT_FOUND", "slot 9 not found"), 404, "not-found"),
        (Forbidden("FORBIDDEN", "no"), 403, "forbidden"),
        (Invalid("BEYOND_HORIZON", "too far ahead"), 422, "processing"),
        (Unavailable("DATABASE_UNAVAILABLE", "away"), 503, "transient"),
        (Unauthenticated("TOKEN_INVALID", "who?"), 401, "login"),
        (APIError(400, "PRECONDITION_FAILED", "several match"), 412, "duplicate"),
    ],
)
def test_each_refusal_has_its_status_and_an_operation_outcome(
    error: APIError | DomainError, status: int, issue: str
) -> None:
    got, body = outcome_of(error)
    assert got == status
    valid(body)
    assert body["issue"][0]["code"] == issue
    assert body["issue"][0]["details"]["coding"][0]["code"] == error.code


def test_field_problems_become_one_issue_each() -> None:
    details = {
        "errors": [
            {"field": "Appointment.slot", "problem": "one Slot"},
            {"field": "Appointment.status", "problem": "booked"},
        ]
    }
    _, body = outcome_of(APIError(422, "VALIDATION_ERROR", "not valid", details))
    assert [i["expression"] for i in body["issue"]] == [
        ["Appointment.slot"],
        ["Appointment.status"],
    ]
