"""GET /api/departments/<id>/day: the desk's expected arrivals, returning patients, vitals."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select

from server.actions import clinical, queue
from server.actions.clinical import VitalSigns
from server.auth.actor import SYSTEM
from server.models import DoctorSession, Patient, Role
from tests.api.conftest import Clinic
from tests.conftest import T0
from tests.factories import make_patient


async def day_of(client: Client, c: Clinic, query: str = "") -> tuple[int, dict[str, Any]]:
    response = await client.get(
        f"/api/departments/{c.department.id}/day{query}", headers=c.headers(Role.STAFF)
    )
    return response.status_code, await response.get_json()


async def test_the_expected_arrivals_are_the_bookings_not_checked_in_by_time(
    clinic_day: Clinic, client: Client
) -> None:
    first = await clinic_day.booked()
    async with clinic_day.services.database() as db, db.begin():
        third = await make_patient(db)
    second = await clinic_day.booked(clinic_day.other_patient)
    later = await clinic_day.booked(third)
    await clinic_day.services.run(lambda s: queue.check_in(s, SYSTEM, ticket_id=second.id, now=T0))

    status, body = await day_of(client, clinic_day)

    assert status == 200, body
    assert [row["token"] for row in body["arrivals"]] == [first.token, later.token]
    times = [row["scheduled_at"] for row in body["arrivals"]]
    assert times == sorted(times)
    assert body["arrivals"][0]["patient"]["name"] == clinic_day.patient.full_name
    assert body["arrivals"][0]["patient"]["record_number"] == clinic_day.patient.record_number


async def test_a_skipped_patient_is_listed_as_returning_until_requeued(
    clinic_day: Clinic, client: Client
) -> None:
    called = await clinic_day.called()
    await clinic_day.services.run(lambda s: queue.skip(s, SYSTEM, ticket_id=called.id, now=T0))

    _, body = await day_of(client, clinic_day)
    assert [(r["token"], r["status"]) for r in body["returning"]] == [(called.token, "skipped")]

    response = await client.post(
        f"/api/tickets/{called.id}/requeue", json={}, headers=clinic_day.headers(Role.STAFF)
    )
    assert response.status_code == 200
    _, body = await day_of(client, clinic_day)
    assert body["returning"] == []


async def test_vitals_taken_name_the_waiting_patients_measured(
    clinic_day: Clinic, client: Client
) -> None:
    measured = await clinic_day.walk_in()
    unmeasured = await clinic_day.walk_in(clinic_day.patient)
    await clinic_day.services.run(
        lambda s: clinical.record_vitals(
            s,
            SYSTEM,
            appointment_id=measured.appointment_id,
            signs=VitalSigns(pulse_bpm=70),
            now=T0,
        )
    )

    _, body = await day_of(client, clinic_day)

    assert body["vitals_taken"] == [measured.appointment_id]
    assert unmeasured.appointment_id not in body["vitals_taken"]


async def test_the_sessions_carry_their_delay_for_the_running_late_button(
    clinic_day: Clinic, client: Client
) -> None:
    async with clinic_day.services.database() as db:
        session_id = await db.scalar(select(DoctorSession.id))
    delayed = await client.post(
        f"/api/admin/sessions/{session_id}/delay",
        json={"delay_minutes": 20},
        headers=clinic_day.headers(Role.STAFF),
    )
    assert delayed.status_code == 200

    _, body = await day_of(client, clinic_day)

    [row] = body["sessions"]
    assert (row["id"], row["doctor_id"], row["delay_minutes"]) == (
        session_id,
        clinic_day.doctor.id,
        20,
    )
    assert row["doctor_name"] == clinic_day.doctor.name
    assert row["closed_early_at"] is None


async def test_another_day_has_nobody_expected(clinic_day: Clinic, client: Client) -> None:
    await clinic_day.booked()
    tomorrow = (T0 + timedelta(days=1)).date().isoformat()
    status, body = await day_of(client, clinic_day, f"?date={tomorrow}")
    assert status == 200
    assert (body["arrivals"], body["sessions"]) == ([], [])


async def test_bad_department_and_date_are_refused(clinic_day: Clinic, client: Client) -> None:
    status, body = await day_of(client, clinic_day, "?date=tomorrow")
    assert (status, body["code"]) == (400, "BAD_QUERY")
    response = await client.get(
        "/api/departments/999999/day", headers=clinic_day.headers(Role.STAFF)
    )
    assert (response.status_code, (await response.get_json())["code"]) == (
        404,
        "DEPARTMENT_NOT_FOUND",
    )


async def test_a_doctors_desk_shows_open_once_opened_for_them(
    clinic_day: Clinic, client: Client
) -> None:
    _, body = await day_of(client, clinic_day)
    [row] = body["sessions"]
    assert (row["desk_open"], row["doctor_has_login"]) == (False, True)

    opened = await client.post(
        f"/api/doctors/{clinic_day.doctor.id}/desk",
        json={"open": True},
        headers=clinic_day.headers(Role.STAFF),
    )
    assert opened.status_code == 200

    _, body = await day_of(client, clinic_day)
    assert body["sessions"][0]["desk_open"] is True


async def test_record_numbers_made_at_the_desk_look_like_the_seeded_ones(
    clinic_day: Clinic, client: Client
) -> None:
    numbers = []
    for name in ("Ana Costa", "Ben Dubois"):
        response = await client.post(
            "/api/patients",
            json={"full_name": name, "date_of_birth": "1980-01-02", "sex": "F"},
            headers=clinic_day.headers(Role.STAFF),
        )
        assert response.status_code == 201
        created = await response.get_json()
        numbers.append(created["record_number"])
        assert created["record_number"] == f"MRN-{999 + created['id']}"
    assert all(re.fullmatch(r"MRN-\d{4,}", n) for n in numbers)  # the demo's: MRN-1000…
    assert len(set(numbers)) == 2


async def test_a_desk_number_taken_by_an_import_gets_a_suffix(
    clinic_day: Clinic, client: Client
) -> None:
    async with clinic_day.services.database() as db:
        next_id = int(await db.scalar(select(func.max(Patient.id))) or 0) + 2
    headers = clinic_day.headers(Role.STAFF)
    body = {"full_name": "Imported", "date_of_birth": "1980-01-02", "sex": "M"}
    taken = f"MRN-{999 + next_id}"
    assert (
        await client.post("/api/patients", json={**body, "record_number": taken}, headers=headers)
    ).status_code == 201
    response = await client.post("/api/patients", json=body, headers=headers)
    created = await response.get_json()
    assert created["id"] == next_id
    assert created["record_number"] == f"{taken}-2"


async def test_the_desk_registers_a_patient_in_their_language(
    clinic_day: Clinic, client: Client
) -> None:
    headers = clinic_day.headers(Role.STAFF)
    body = {"full_name": "Lucía Pérez", "date_of_birth": "1970-05-06", "sex": "F"}
    response = await client.post("/api/patients", json={**body, "language": "es"}, headers=headers)
    assert response.status_code == 201
    assert (await response.get_json())["language"] == "es"
    refused = await client.post("/api/patients", json={**body, "language": "fr"}, headers=headers)
    assert refused.status_code == 400
    assert (await refused.get_json())["code"] == "VALIDATION_ERROR"
