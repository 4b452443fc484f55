"""Every bad request gets the one JSON error shape, and a clear code."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from server.api.errors import error_response, http_status
from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from server.models import Role
from server.queue.state import InvalidTransition, TicketEvent, TicketStatus
from tests.api.conftest import Clinic
from tests.factories import make_patient


def shape(payload: dict[str, object]) -> set[str]:
    return set(payload)


async def test_malformed_json_is_a_400_with_a_code(clinic_day: Clinic, client: Client) -> None:
    response = await client.post(
        "/api/walk-ins",
        data=b"{not json",
        headers={**clinic_day.headers(Role.STAFF), "Content-Type": "application/json"},
    )
    payload = await response.get_json()
    assert response.status_code == 400 and payload["code"] == "MALFORMED_JSON"
    assert shape(payload) == {"code", "message", "details"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"patient_id": "seven", "department_id": 1}, "patient_id"),
        ({"department_id": 1}, "patient_id"),
        ({"patient_id": 1, "department_id": 1, "urgency": "whenever"}, "urgency"),
        ({"patient_id": 1, "department_id": 1, "colour": "red"}, "colour"),
    ],
)
async def test_wrong_types_and_unknown_fields_name_the_field(
    body: dict[str, object], field: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.post("/api/walk-ins", json=body, headers=clinic_day.headers(Role.STAFF))
    payload = await response.get_json()
    assert response.status_code == 400 and payload["code"] == "VALIDATION_ERROR"
    assert field in [e["field"] for e in payload["details"]["errors"]]


async def test_an_unknown_route_is_a_json_404(client: Client) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404 and (await response.get_json())["code"] == "NOT_FOUND"


async def test_a_wrong_method_is_a_json_405(client: Client) -> None:
    response = await client.delete("/api/departments")
    assert (
        response.status_code == 405 and (await response.get_json())["code"] == "METHOD_NOT_ALLOWED"
    )


async def test_a_bad_query_argument_is_a_400(clinic_day: Clinic, client: Client) -> None:
    response = await client.get("/api/slots?doctor_id=abc", headers=clinic_day.headers(Role.STAFF))
    assert response.status_code == 400 and (await response.get_json())["code"] == "BAD_QUERY"


async def test_an_invalid_transition_is_a_409_and_the_ticket_is_unchanged(
    clinic_day: Clinic, client: Client
) -> None:
    ticket = await clinic_day.walk_in()
    response = await client.post(
        f"/api/tickets/{ticket.id}/complete", headers=clinic_day.headers(Role.DOCTOR)
    )
    assert (
        response.status_code == 409 and (await response.get_json())["code"] == "INVALID_TRANSITION"
    )
    after = await (
        await client.get(f"/api/tickets/{ticket.id}", headers=clinic_day.headers(Role.STAFF))
    ).get_json()
    assert after["ticket"]["status"] == "waiting"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"temperature_c": 375}, "temperature_c"),
        ({"systolic_mmhg": 80, "diastolic_mmhg": 95}, "diastolic_mmhg"),
        ({}, "vitals"),
    ],
)
async def test_implausible_vitals_are_refused_field_by_field(
    body: dict[str, object], code: str, clinic_day: Clinic, client: Client
) -> None:
    ticket = await clinic_day.walk_in()
    response = await client.post(
        f"/api/appointments/{ticket.appointment_id}/vitals",
        json=body,
        headers=clinic_day.headers(Role.NURSE),
    )
    payload = await response.get_json()
    assert response.status_code == 422 and payload["code"] == "VITALS_OUT_OF_RANGE"
    assert code in payload["details"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "0555 123"),
        ("email", "not-an-address"),
        ("date_of_birth", "2999-01-01"),
        ("sex", "Q"),
    ],
)
async def test_a_patient_with_bad_contact_details_is_refused_at_entry(
    field: str, value: str, clinic_day: Clinic, client: Client
) -> None:
    body = {"full_name": "A Person", "date_of_birth": "1990-01-01", "sex": "F", field: value}
    response = await client.post("/api/patients", json=body, headers=clinic_day.headers(Role.STAFF))
    payload = await response.get_json()
    assert response.status_code == 400 and field in [
        e["field"] for e in payload["details"]["errors"]
    ]


async def test_the_desk_finds_a_patient_by_record_number_that_looks_like_a_token(
    clinic_day: Clinic, client: Client
) -> None:
    patient = await clinic_day.services.run(lambda s: make_patient(s, record_number="MRN-4242"))
    ticket = await clinic_day.walk_in(clinic_day.other_patient)
    by_record = await (
        await client.get("/api/patients?q=MRN-4242", headers=clinic_day.headers(Role.STAFF))
    ).get_json()
    by_token = await (
        await client.get(f"/api/patients?q={ticket.token}", headers=clinic_day.headers(Role.STAFF))
    ).get_json()
    assert [p["id"] for p in by_record["patients"]] == [patient.id]
    assert [p["id"] for p in by_token["patients"]] == [clinic_day.other_patient.id]


# Every class domain code raises, and the status it answers with over HTTP.
STATUSES = [
    (Malformed, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (RateLimited, 429),
    (Unavailable, 503),
]


@pytest.mark.parametrize(("cls", "status"), STATUSES)
async def test_each_domain_refusal_has_its_one_http_status_and_the_shared_body(
    cls: type[DomainError], status: int, app: Quart
) -> None:
    async with app.test_request_context("/api/anything"):
        response, answered = error_response(cls("SOME_CODE", "a message", {"ticket_id": 7}))
    assert answered == status
    assert await response.get_json() == {
        "code": "SOME_CODE",
        "message": "a message",
        "details": {"ticket_id": 7},
    }
    # Only an unavailable part says when to come back.
    assert ("Retry-After" in response.headers) is (status == 503)


def every_refusal_class(root: type[DomainError] = DomainError) -> list[type[DomainError]]:
    found = []
    for cls in root.__subclasses__():
        found += [cls, *every_refusal_class(cls)]
    return found


def test_every_refusal_class_maps_to_a_status_through_its_ancestors() -> None:
    covered = {cls for cls, _ in STATUSES}
    # Every class, and any added later, is one of the mapped ones or derives from one.
    assert all(issubclass(cls, tuple(covered)) for cls in every_refusal_class())
    # A subclass left out of the table answers as its parent: a refused transition is a 409.
    assert http_status(InvalidTransition(TicketStatus.COMPLETED, TicketEvent.CALL)) == 409


async def test_a_refusal_from_a_route_reaches_the_client_with_its_status(
    clinic_day: Clinic, client: Client
) -> None:
    # A NotFound raised in the route (not an APIError) becomes the JSON 404.
    response = await client.get("/api/patients/987654", headers=clinic_day.headers(Role.STAFF))
    payload = await response.get_json()
    assert response.status_code == 404 and payload["code"] == "PATIENT_NOT_FOUND"
    assert shape(payload) == {"code", "message", "details"}
