"""/api/admin/rotas: a template's four weeks, a holiday with its bookings listed, every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

from server.models import Role
from tests.api.conftest import Clinic
from tests.conftest import T0

TUESDAY = (T0 + timedelta(days=1)).date()  # T0 is a Monday; the clinic_day doctor works today
HOLIDAY = TUESDAY + timedelta(weeks=1)


async def call(
    client: Client, c: Clinic, method: str, path: str, body: Any = None, role: Role = Role.ADMIN
) -> tuple[int, Any]:
    response = await client.open(
        f"/api/admin/rotas{path}", method=method, json=body, headers=c.headers(role)
    )
    return response.status_code, await response.get_json()


def tuesdays(c: Clinic, **overrides: Any) -> dict[str, Any]:
    return {
        "doctor_id": c.doctor.id,
        "weekday": 1,
        "start_time": "10:00",
        "end_time": "12:00",
        "valid_from": TUESDAY.isoformat(),
        "slot_minutes": 15,
        "capacity_per_slot": 1,
        "overbook_cap": 0,
    } | overrides


async def test_a_template_makes_four_weeks_and_a_holiday_lists_then_cancels_its_booking(
    clinic_day: Clinic, client: Client
) -> None:
    status, template = await call(client, clinic_day, "POST", "/templates", tuesdays(clinic_day))
    assert status == 201, template
    assert (template["start_time"], template["end_time"], template["active"]) == (
        "10:00",
        "12:00",
        True,
    )
    status, made = await call(client, clinic_day, "POST", "/generate")
    assert status == 200, made
    assert made["created"] == 4 and made["through"] == (T0.date() + timedelta(days=27)).isoformat()
    assert (await call(client, clinic_day, "POST", "/generate"))[1]["created"] == 0

    booked = await client.post(
        "/api/appointments",
        json={
            "patient_id": clinic_day.patient.id,
            "doctor_id": clinic_day.doctor.id,
            "starts_at": f"{HOLIDAY.isoformat()}T10:15:00+00:00",
        },
        headers=clinic_day.headers(Role.STAFF),
    )
    assert booked.status_code == 201
    appointment_id = (await booked.get_json())["appointment_id"]

    closure = {
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
        "reason": "Holiday",
    }
    status, preview = await call(client, clinic_day, "POST", "/closures/preview", closure)
    assert status == 200, preview
    [session] = preview["sessions"]
    assert session["starts_at"].startswith(f"{HOLIDAY.isoformat()}T10:00")
    assert [b["appointment_id"] for b in session["bookings"]] == [appointment_id]
    assert session["bookings"][0]["patient_name"] == clinic_day.patient.full_name
    assert preview["appointment_ids"] == [appointment_id]

    status, refused = await call(client, clinic_day, "POST", "/closures", closure)
    assert (status, refused["code"]) == (409, "AFFECTS_BOOKINGS")
    assert refused["details"]["appointment_ids"] == [appointment_id]
    mine = await client.get(
        f"/api/appointments/{appointment_id}", headers=clinic_day.headers(Role.STAFF)
    )
    assert (await mine.get_json())["status"] == "booked"  # a refusal changes nothing

    confirmed = closure | {"confirm_appointment_ids": [appointment_id]}
    status, done = await call(client, clinic_day, "POST", "/closures", confirmed)
    assert status == 201, done
    assert done["cancelled_appointment_ids"] == [appointment_id]
    assert len(done["withdrawn_session_ids"]) == 1
    mine = await client.get(
        f"/api/appointments/{appointment_id}", headers=clinic_day.headers(Role.STAFF)
    )
    assert (await mine.get_json())["status"] == "cancelled"

    status, rota = await call(client, clinic_day, "GET", "")
    assert status == 200
    assert [c["starts_on"] for c in rota["closures"]] == [HOLIDAY.isoformat()]
    assert rota["weeks_ahead"] == 4 and rota["timezone"] == "UTC"
    audit = await client.get("/api/admin/audit", headers=clinic_day.headers(Role.ADMIN))
    actions = [e["action"] for e in (await audit.get_json())["events"]]
    assert {"rota.template.create", "rota.generate", "rota.closure.create", "cancel"} <= set(
        actions
    )


async def test_leave_and_a_template_edit_preview_then_confirm(
    clinic_day: Clinic, client: Client
) -> None:
    status, template = await call(client, clinic_day, "POST", "/templates", tuesdays(clinic_day))
    await call(client, clinic_day, "POST", "/generate")
    leave = {
        "doctor_id": clinic_day.doctor.id,
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": (HOLIDAY + timedelta(days=6)).isoformat(),
    }
    status, preview = await call(client, clinic_day, "POST", "/leave/preview", leave)
    assert status == 200 and len(preview["sessions"]) == 1 and preview["appointment_ids"] == []
    status, done = await call(client, clinic_day, "POST", "/leave", leave)
    assert status == 201 and done["cancelled_appointment_ids"] == []

    path = f"/templates/{template['id']}"
    status, preview = await call(
        client, clinic_day, "POST", f"{path}/preview", {"end_time": "11:00"}
    )
    assert status == 200 and len(preview["sessions"]) == 3  # the week of leave has none
    status, done = await call(client, clinic_day, "PATCH", path, {"end_time": "11:00"})
    assert status == 200, done
    assert len(done["withdrawn_session_ids"]) == 3 and len(done["created_session_ids"]) == 3

    status, ended = await call(client, clinic_day, "PATCH", path, {"active": False})
    assert status == 200 and len(ended["withdrawn_session_ids"]) == 3
    _, rota = await call(client, clinic_day, "GET", "")
    assert [t["active"] for t in rota["templates"]] == [False]


async def test_lifting_leave_makes_the_sessions_again(clinic_day: Clinic, client: Client) -> None:
    await call(client, clinic_day, "POST", "/templates", tuesdays(clinic_day))
    await call(client, clinic_day, "POST", "/generate")
    leave = {
        "doctor_id": clinic_day.doctor.id,
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
    }
    _, done = await call(client, clinic_day, "POST", "/leave", leave)
    status, lifted = await call(client, clinic_day, "DELETE", f"/leave/{done['id']}")
    assert status == 200 and len(lifted["created_session_ids"]) == 1
    status, gone = await call(client, clinic_day, "DELETE", f"/leave/{done['id']}")
    assert (status, gone["code"]) == (404, "LEAVE_NOT_FOUND")


PAST = (T0.date() - timedelta(days=1)).isoformat()
FAR = (T0.date() + timedelta(days=400)).isoformat()


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/templates", {"start_time": "12:00", "end_time": "10:00"}, 422, "ENDS_BEFORE_START"),
        ("/templates", {"start_time": "10:00", "end_time": "10:05"}, 422, "SHORTER_THAN_SLOT"),
        ("/templates", {"valid_to": PAST}, 422, "VALID_TO_BEFORE_VALID_FROM"),
        ("/templates", {"valid_from": FAR}, 422, "BEYOND_HORIZON"),
        ("/templates", {"start_time": "25:00"}, 400, "VALIDATION_ERROR"),
        ("/templates", {"start_time": 600}, 400, "VALIDATION_ERROR"),
        ("/templates", {"weekday": 7}, 400, "VALIDATION_ERROR"),
        ("/templates", {"valid_from": "3000-01-01"}, 400, "VALIDATION_ERROR"),
        ("/templates", {"doctor_id": 999_999}, 404, "DOCTOR_NOT_FOUND"),
        ("/templates", {"extra": 1}, 400, "VALIDATION_ERROR"),
        (
            "/closures",
            {"starts_on": "2030-03-12", "ends_on": "2030-03-11"},
            422,
            "ENDS_BEFORE_START",
        ),
        ("/closures", {"starts_on": PAST, "ends_on": PAST}, 422, "DATE_IN_PAST"),
        ("/closures", {"starts_on": FAR, "ends_on": FAR}, 422, "BEYOND_HORIZON"),
        ("/closures", {"starts_on": "2030-03-12", "ends_on": "2031-06-01"}, 422, "RANGE_TOO_LONG"),
        ("/closures", {"starts_on": "2030-03-12"}, 400, "VALIDATION_ERROR"),
        (
            "/closures",
            {"starts_on": "2030-03-12", "ends_on": "2030-03-12", "reason": "x" * 201},
            400,
            "VALIDATION_ERROR",
        ),
        (
            "/leave",
            {"doctor_id": 999_999, "starts_on": "2030-03-12", "ends_on": "2030-03-12"},
            404,
            "DOCTOR_NOT_FOUND",
        ),
    ],
)
async def test_bad_input_gets_a_coded_refusal_and_changes_nothing(
    clinic_day: Clinic, client: Client, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    sent = tuesdays(clinic_day) | body if path == "/templates" else body
    got, answer = await call(client, clinic_day, "POST", path, sent)
    assert (got, answer["code"]) == (status, code), answer
    _, rota = await call(client, clinic_day, "GET", "")
    assert rota["templates"] == [] and rota["closures"] == [] and rota["leave"] == []


async def test_an_overlapping_template_and_a_null_edit_are_refused(
    clinic_day: Clinic, client: Client
) -> None:
    _, template = await call(client, clinic_day, "POST", "/templates", tuesdays(clinic_day))
    overlap = tuesdays(clinic_day, start_time="11:00", end_time="13:00")
    status, refused = await call(client, clinic_day, "POST", "/templates", overlap)
    assert (status, refused["code"]) == (409, "TEMPLATE_OVERLAP")
    path = f"/templates/{template['id']}"
    status, refused = await call(client, clinic_day, "PATCH", path, {"start_time": None})
    assert (status, refused["code"]) == (400, "VALIDATION_ERROR")
    status, refused = await call(client, clinic_day, "PATCH", "/templates/999999", {"weekday": 2})
    assert (status, refused["code"]) == (404, "TEMPLATE_NOT_FOUND")


@pytest.mark.parametrize("role", [Role.STAFF, Role.NURSE, Role.DOCTOR, Role.PATIENT])
async def test_only_an_admin_runs_the_rota(clinic_day: Clinic, client: Client, role: Role) -> None:
    for method, path, body in [
        ("GET", "", None),
        ("POST", "/templates", tuesdays(clinic_day)),
        ("POST", "/generate", None),
        ("POST", "/closures", {"starts_on": "2030-03-12", "ends_on": "2030-03-12"}),
        (
            "POST",
            "/leave/preview",
            {"doctor_id": 1, "starts_on": "2030-03-12", "ends_on": "2030-03-12"},
        ),
    ]:
        status, answer = await call(client, clinic_day, method, path, body, role=role)
        assert (status, answer["code"]) == (403, "FORBIDDEN"), (method, path)


async def test_a_booking_made_after_the_preview_is_never_cancelled_unseen(
    clinic_day: Clinic, client: Client
) -> None:
    await call(client, clinic_day, "POST", "/templates", tuesdays(clinic_day))
    await call(client, clinic_day, "POST", "/generate")
    closure = {"starts_on": HOLIDAY.isoformat(), "ends_on": HOLIDAY.isoformat()}
    _, preview = await call(client, clinic_day, "POST", "/closures/preview", closure)
    assert preview["appointment_ids"] == []  # what the admin saw

    booked = await client.post(
        "/api/appointments",
        json={
            "patient_id": clinic_day.other_patient.id,
            "doctor_id": clinic_day.doctor.id,
            "starts_at": f"{HOLIDAY.isoformat()}T11:00:00+00:00",
        },
        headers=clinic_day.headers(Role.STAFF),
    )
    appointment_id = (await booked.get_json())["appointment_id"]
    sent = closure | {"confirm_appointment_ids": preview["appointment_ids"]}
    status, refused = await call(client, clinic_day, "POST", "/closures", sent)
    assert (status, refused["code"]) == (409, "AFFECTS_BOOKINGS")
    assert refused["details"]["appointment_ids"] == [appointment_id]
    _, rota = await call(client, clinic_day, "GET", "")
    assert rota["closures"] == []
