"""Bad input gets a 4xx with a code and changes nothing: ids, bodies, dates, text, urgency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select

from server.models import Appointment, AuditEvent, Display, DoctorSession, Patient, Role, Slot
from tests.api.conftest import Clinic
from tests.conftest import T0
from tests.factories import make_department, make_patient, make_room, make_session

BIG = 2**63  # one past the largest id either database holds
HUGE = 10**30


async def count(clinic_day: Clinic, model: Any) -> int:
    return int(
        await clinic_day.services.read(lambda s: s.scalar(select(func.count()).select_from(model)))
    )


# -- urgency is the clinic's decision -------------------------------------------------------


@pytest.mark.parametrize("urgency", ["urgent", "emergency"])
async def test_a_patient_cannot_book_themselves_as_urgent(
    urgency: str, clinic_day: Clinic, client: Client
) -> None:
    slot = await free_slot(clinic_day)
    response = await client.post(
        "/api/appointments",
        json={"slot_id": slot, "urgency": urgency},
        headers=clinic_day.headers(Role.PATIENT),
    )
    payload = await response.get_json()
    assert response.status_code == 403 and payload["code"] == "URGENCY_NOT_ALLOWED"
    assert await count(clinic_day, Appointment) == 0


async def test_staff_may_still_book_an_urgent_visit(clinic_day: Clinic, client: Client) -> None:
    slot = await free_slot(clinic_day)
    response = await client.post(
        "/api/appointments",
        json={"slot_id": slot, "patient_id": clinic_day.patient.id, "urgency": "urgent"},
        headers=clinic_day.headers(Role.STAFF),
    )
    assert response.status_code == 201 and (await response.get_json())["urgency"] == "urgent"


async def test_a_patient_may_book_routinely(clinic_day: Clinic, client: Client) -> None:
    slot = await free_slot(clinic_day)
    response = await client.post(
        "/api/appointments", json={"slot_id": slot}, headers=clinic_day.headers(Role.PATIENT)
    )
    assert response.status_code == 201


async def free_slot(clinic_day: Clinic) -> int:
    return int(
        await clinic_day.services.read(
            lambda s: s.scalar(
                select(Slot.id)
                .where(Slot.doctor_id == clinic_day.doctor.id, Slot.starts_at > T0)
                .order_by(Slot.starts_at)
                .limit(1)
            )
        )
    )


# -- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/patients/{BIG}",
        f"/api/tickets/{HUGE}",
        f"/api/appointments/{BIG}",
        f"/api/departments/{BIG}/queue",
        "/api/patients/0",
    ],
)
async def test_an_id_beyond_64_bits_in_a_path_is_a_404(
    path: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.get(path, headers=clinic_day.headers(Role.ADMIN))
    assert response.status_code == 404 and (await response.get_json())["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "query",
    [
        f"/api/slots?doctor_id={BIG}",
        f"/api/doctors?department_id={HUGE}",
        f"/api/admin/audit?appointment_id={BIG}",
        f"/api/admin/dashboard?department_id={BIG}",
        "/api/slots?doctor_id=0",
        "/api/slots?doctor_id=%C2%B2",  # "²" is a digit to str.isdigit, not to int()
    ],
)
async def test_an_id_beyond_64_bits_in_a_query_is_a_400(
    query: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.get(query, headers=clinic_day.headers(Role.ADMIN))
    assert response.status_code == 400 and (await response.get_json())["code"] == "BAD_QUERY"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/walk-ins", {"patient_id": BIG, "department_id": 1}),
        ("/api/walk-ins", {"patient_id": 1, "department_id": HUGE}),
        ("/api/walk-ins", {"patient_id": True, "department_id": 1}),
        ("/api/walk-ins", {"patient_id": "1", "department_id": 1}),
        ("/api/walk-ins", {"patient_id": 1.0, "department_id": 1}),
        ("/api/walk-ins", {"patient_id": 0, "department_id": 1}),
        ("/api/emergencies", {"department_id": -5, "patient_id": 1}),
        ("/api/admin/displays", {"name": "B", "department_id": BIG}),
        (
            "/api/admin/sessions",
            {
                "doctor_id": 1,
                "starts_at": "2030-03-05T09:00:00Z",
                "ends_at": "2030-03-05T10:00:00Z",
                "slot_minutes": True,
            },
        ),
    ],
)
async def test_a_bad_id_in_a_body_is_a_validation_error(
    path: str, body: dict[str, Any], clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(path, json=body, headers=clinic_day.headers(Role.ADMIN))
    payload = await response.get_json()
    assert response.status_code == 400 and payload["code"] == "VALIDATION_ERROR", payload


# -- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/walk-ins",
        "/api/patients",
        "/api/appointments",
        "/api/admin/displays",
        "/api/auth/login",
    ],
)
async def test_a_body_that_is_not_utf8_is_a_400(
    path: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(
        path,
        data=b'{"full_name": "\xff\xfe"}',
        headers={**clinic_day.headers(Role.ADMIN), "Content-Type": "application/json"},
    )
    payload = await response.get_json()
    assert response.status_code == 400 and payload["code"] == "BAD_ENCODING"


@pytest.mark.parametrize("path", ["/api/walk-ins", "/api/auth/login", "/api/admin/doctors"])
async def test_deeply_nested_json_is_a_400(path: str, clinic_day: Clinic, client: Client) -> None:
    for depth in (100, 100_000):
        response = await client.post(
            path,
            data=b"[" * depth + b"]" * depth,
            headers={**clinic_day.headers(Role.ADMIN), "Content-Type": "application/json"},
        )
        payload = await response.get_json()
        assert response.status_code == 400 and payload["code"] == "MALFORMED_JSON", depth


async def test_nan_is_not_json(clinic_day: Clinic, client: Client) -> None:
    ticket = await clinic_day.walk_in()
    response = await client.post(
        f"/api/appointments/{ticket.appointment_id}/vitals",
        data=b'{"temperature_c": NaN}',
        headers={**clinic_day.headers(Role.NURSE), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and (await response.get_json())["code"] == "MALFORMED_JSON"


# -- foreign keys ---------------------------------------------------------------------------


async def test_unknown_foreign_keys_are_404s_with_a_code(
    clinic_day: Clinic, client: Client
) -> None:
    async def elsewhere(s: Any) -> int:
        return int((await make_room(s, await make_department(s))).id)

    other_room = await clinic_day.services.run(elsewhere)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (
            "/api/admin/displays",
            {"name": "Hall", "department_id": 987654},
            404,
            "DEPARTMENT_NOT_FOUND",
        ),
        (
            "/api/admin/doctors",
            {"department_id": clinic_day.department.id, "name": "Dr X", "room_id": 987654},
            404,
            "ROOM_NOT_FOUND",
        ),
        (
            "/api/admin/doctors",
            {"department_id": clinic_day.department.id, "name": "Dr X", "room_id": other_room},
            422,
            "ROOM_NOT_IN_DEPARTMENT",
        ),
        (
            "/api/admin/sessions",
            {
                "doctor_id": clinic_day.doctor.id,
                "room_id": 987654,
                "starts_at": "2030-03-05T09:00:00Z",
                "ends_at": "2030-03-05T10:00:00Z",
            },
            404,
            "ROOM_NOT_FOUND",
        ),
        (
            "/api/emergencies",
            {"department_id": 987654, "patient_id": clinic_day.patient.id},
            404,
            "DEPARTMENT_NOT_FOUND",
        ),
    ]
    ticket = await clinic_day.walk_in()
    cases.append(
        (
            "/api/emergencies",
            {
                "department_id": clinic_day.department.id,
                "ticket_id": ticket.id,
                "doctor_id": 987654,
            },
            404,
            "DOCTOR_NOT_FOUND",
        )
    )
    before = await count(clinic_day, AuditEvent)
    for path, body, status, code in cases:
        response = await client.post(path, json=body, headers=clinic_day.headers(Role.ADMIN))
        payload = await response.get_json()
        assert (response.status_code, payload["code"]) == (status, code), (path, payload)
    assert await count(clinic_day, AuditEvent) == before
    assert await count(clinic_day, Display) == 0


# -- dates and the booking horizon ----------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
async def test_a_day_out_of_range_in_a_query_is_a_400(
    day: str, clinic_day: Clinic, client: Client
) -> None:
    for path in (
        f"/api/slots?date={day}&doctor_id={clinic_day.doctor.id}",
        f"/api/departments/{clinic_day.department.id}/queue?date={day}",
    ):
        response = await client.get(path, headers=clinic_day.headers(Role.STAFF))
        assert response.status_code == 400 and (await response.get_json())["code"] == "BAD_QUERY"


async def test_sessions_beyond_the_horizon_are_refused(clinic_day: Clinic, client: Client) -> None:
    def body(days: int) -> dict[str, Any]:
        start = T0 + timedelta(days=days)
        return {
            "doctor_id": clinic_day.doctor.id,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        }

    far = await client.post(
        "/api/admin/sessions", json=body(181), headers=clinic_day.headers(Role.ADMIN)
    )
    assert far.status_code == 422 and (await far.get_json())["code"] == "BEYOND_HORIZON"
    for nonsense in ("9999-12-31T09:00:00Z", 0, True):
        response = await client.post(
            "/api/admin/sessions",
            json={**body(1), "starts_at": nonsense},
            headers=clinic_day.headers(Role.ADMIN),
        )
        assert response.status_code == 400, nonsense
    near = await client.post(
        "/api/admin/sessions", json=body(179), headers=clinic_day.headers(Role.ADMIN)
    )
    assert near.status_code == 201
    sessions = await count(clinic_day, DoctorSession)
    assert sessions == 2  # the fixture's and the near one


async def test_the_horizon_is_a_setting(clinic_day: Clinic, client: Client) -> None:
    services = clinic_day.services
    services.settings = services.settings.model_copy(update={"booking_horizon_days": 7})
    start = T0 + timedelta(days=8)
    response = await client.post(
        "/api/admin/sessions",
        json={
            "doctor_id": clinic_day.doctor.id,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers=clinic_day.headers(Role.ADMIN),
    )
    payload = await response.get_json()
    assert response.status_code == 422 and payload["details"]["horizon_days"] == 7


async def test_a_booking_beyond_the_horizon_is_refused(clinic_day: Clinic, client: Client) -> None:
    far = T0 + timedelta(days=200)
    await clinic_day.services.run(
        lambda s: make_session(
            s,
            clinic_day.doctor,
            starts_at=far,
            ends_at=far + timedelta(hours=1),
            horizon=timedelta(days=400),  # opened before the horizon was shortened
        )
    )
    slot = await clinic_day.services.read(
        lambda s: s.scalar(select(Slot.id).where(Slot.starts_at == far))
    )
    response = await client.post(
        "/api/appointments", json={"slot_id": slot}, headers=clinic_day.headers(Role.PATIENT)
    )
    assert response.status_code == 422 and (await response.get_json())["code"] == "BEYOND_HORIZON"


@pytest.mark.parametrize("born", [0, 19800101, "0001-01-01", "1850-06-01", "2999-01-01", True])
async def test_dates_of_birth_are_iso_days_within_bounds(
    born: Any, clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(
        "/api/patients",
        json={"full_name": "A Person", "date_of_birth": born, "sex": "F"},
        headers=clinic_day.headers(Role.STAFF),
    )
    payload = await response.get_json()
    assert response.status_code == 400 and payload["code"] == "VALIDATION_ERROR"
    assert "date_of_birth" in [e["field"] for e in payload["details"]["errors"]]


# -- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Ann\x00e", "Ann\u202eeb", "Ann\x1b[31m", "Ann\u0085e", "Ann\ne", "\u2067Ann"]
)
async def test_names_refuse_control_and_bidi_characters(
    name: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(
        "/api/patients",
        json={"full_name": name, "date_of_birth": "1990-01-01", "sex": "F"},
        headers=clinic_day.headers(Role.STAFF),
    )
    payload = await response.get_json()
    assert response.status_code == 400 and "full_name" in [
        e["field"] for e in payload["details"]["errors"]
    ]
    assert await count(clinic_day, Patient) == 2


async def test_free_text_keeps_newlines_and_refuses_other_controls(
    clinic_day: Clinic, client: Client
) -> None:
    ticket = await clinic_day.in_consultation()
    url = f"/api/appointments/{ticket.appointment_id}/notes"
    good = await client.post(
        url, json={"text": "line one\n\tline two"}, headers=clinic_day.headers(Role.DOCTOR)
    )
    bad = await client.post(
        url, json={"text": "fine\u202etext"}, headers=clinic_day.headers(Role.DOCTOR)
    )
    assert good.status_code == 201
    assert bad.status_code == 400 and (await bad.get_json())["code"] == "VALIDATION_ERROR"


# -- patient search -------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["_%", "%%", "__", "%a", "a_"])
async def test_search_wildcards_match_only_themselves(
    q: str, clinic_day: Clinic, client: Client
) -> None:
    response = await client.get(f"/api/patients?q={q}", headers=clinic_day.headers(Role.STAFF))
    assert response.status_code == 200 and (await response.get_json())["patients"] == []


async def test_search_finds_a_literal_underscore(clinic_day: Clinic, client: Client) -> None:
    odd = await clinic_day.services.run(lambda s: make_patient(s, full_name="Ann_Marie 100%"))
    found = await (
        await client.get("/api/patients?q=n_M", headers=clinic_day.headers(Role.STAFF))
    ).get_json()
    percent = await (
        await client.get("/api/patients?q=0%25", headers=clinic_day.headers(Role.STAFF))
    ).get_json()
    assert [p["id"] for p in found["patients"]] == [odd.id]
    assert [p["id"] for p in percent["patients"]] == [odd.id]


# -- one live ticket per patient, department and day ----------------------------------------


async def test_parallel_walk_ins_of_one_patient_give_one_ticket(
    clinic_day: Clinic, client: Client
) -> None:
    body = {"patient_id": clinic_day.patient.id, "department_id": clinic_day.department.id}
    responses = await asyncio.gather(
        *(
            client.post("/api/walk-ins", json=body, headers=clinic_day.headers(Role.STAFF))
            for _ in range(5)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409]
    codes = {(await r.get_json())["code"] for r in responses if r.status_code == 409}
    assert codes == {"ALREADY_QUEUED"}
    assert await count(clinic_day, Appointment) == 1


async def test_a_finished_visit_frees_the_patient_for_another(
    clinic_day: Clinic, client: Client
) -> None:
    first = await clinic_day.walk_in(clinic_day.patient)
    body = {"patient_id": clinic_day.patient.id, "department_id": clinic_day.department.id}
    again = await client.post("/api/walk-ins", json=body, headers=clinic_day.headers(Role.STAFF))
    assert again.status_code == 409
    cancel = await client.post(
        f"/api/tickets/{first.id}/cancel", json={}, headers=clinic_day.headers(Role.STAFF)
    )
    assert cancel.status_code == 200
    later = await client.post("/api/walk-ins", json=body, headers=clinic_day.headers(Role.STAFF))
    assert later.status_code == 201


async def test_a_second_booking_can_wait_but_not_queue_beside_a_live_ticket(
    clinic_day: Clinic, client: Client
) -> None:
    await clinic_day.walk_in(clinic_day.patient)
    booked = await clinic_day.booked(clinic_day.patient)  # a later slot the same day: allowed
    check_in = await client.post(
        f"/api/tickets/{booked.id}/check-in", headers=clinic_day.headers(Role.STAFF)
    )
    assert check_in.status_code == 409 and (await check_in.get_json())["code"] == "ALREADY_QUEUED"


# -- patients -------------------------------------------------------------------------------


async def test_patients_created_at_once_with_one_record_number_give_one_201(
    clinic_day: Clinic, client: Client
) -> None:
    body = {
        "full_name": "Twin",
        "date_of_birth": "1990-01-01",
        "sex": "F",
        "record_number": "MRN-TWIN",
    }
    responses = await asyncio.gather(
        *(
            client.post("/api/patients", json=body, headers=clinic_day.headers(Role.STAFF))
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {(await r.get_json())["code"] for r in responses if r.status_code == 409} == {
        "RECORD_NUMBER_TAKEN"
    }
    created = await clinic_day.services.read(
        lambda s: s.scalars(select(AuditEvent.action).where(AuditEvent.action == "patient.create"))
    )
    assert list(created) == ["patient.create"]


async def test_creating_a_patient_writes_an_audit_row(clinic_day: Clinic, client: Client) -> None:
    response = await client.post(
        "/api/patients",
        json={"full_name": "New One", "date_of_birth": "1990-01-01", "sex": "X"},
        headers=clinic_day.headers(Role.STAFF),
    )
    patient = await response.get_json()
    rows = await clinic_day.services.read(
        lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "patient.create"))
    )
    (row,) = list(rows)
    assert row.details["patient_id"] == patient["id"] and row.actor_id is not None
