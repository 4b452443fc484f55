"""Every action under every role: the allowed succeed, the others get 403 and change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from server.models import Appointment, DoctorSession, Role
from tests.api.conftest import Clinic
from tests.conftest import T0

A, D, N, S, P = Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.STAFF, Role.PATIENT
Request = tuple[str, str, dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    name: str
    allowed: frozenset[Role]
    status: int
    build: Callable[[Clinic], Awaitable[Request]]


async def _book(c: Clinic) -> Request:
    return (
        "POST",
        "/api/appointments",
        {
            "patient_id": c.patient.id,
            "doctor_id": c.doctor.id,
            "starts_at": (T0 + timedelta(minutes=60)).isoformat(),
        },
    )


async def _walk_in(c: Clinic) -> Request:
    return (
        "POST",
        "/api/walk-ins",
        {"patient_id": c.other_patient.id, "department_id": c.department.id},
    )


async def _check_in(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.booked()).id}/check-in", None


async def _call_next(c: Clinic) -> Request:
    await c.walk_in()
    return "POST", f"/api/doctors/{c.doctor.id}/call-next", None


async def _start(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.called()).id}/start", None


async def _recall(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.called()).id}/recall", None


async def _complete(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.in_consultation()).id}/complete", None


async def _skip(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.called()).id}/skip", {"reason": "no answer"}


async def _no_show(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.called()).id}/no-show", {}


async def _requeue(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.called()).id}/requeue", {}


async def _transfer(c: Clinic) -> Request:
    return (
        "POST",
        f"/api/tickets/{(await c.called()).id}/transfer",
        {"to_department_id": c.department.id},
    )


async def _cancel_ticket(c: Clinic) -> Request:
    return "POST", f"/api/tickets/{(await c.walk_in()).id}/cancel", {}


async def _emergency(c: Clinic) -> Request:
    return (
        "POST",
        "/api/emergencies",
        {"department_id": c.department.id, "patient_id": c.other_patient.id},
    )


async def _vitals(c: Clinic) -> Request:
    return (
        "POST",
        f"/api/appointments/{(await c.walk_in()).appointment_id}/vitals",
        {"pulse_bpm": 72},
    )


async def _note(c: Clinic) -> Request:
    return (
        "POST",
        f"/api/appointments/{(await c.walk_in()).appointment_id}/notes",
        {"text": "Rest and fluids."},
    )


async def _queue(c: Clinic) -> Request:
    return "GET", f"/api/departments/{c.department.id}/queue", None


async def _patient_search(c: Clinic) -> Request:
    return "GET", "/api/patients?q=Patient", None


async def _patient_invite(c: Clinic) -> Request:
    return "POST", f"/api/patients/{c.other_patient.id}/invite", {}


async def _my_patients(c: Clinic) -> Request:
    return "GET", "/api/me/patients", None


async def _patient_create(c: Clinic) -> Request:
    return (
        "POST",
        "/api/patients",
        {
            "full_name": "New Person",
            "date_of_birth": "1990-02-03",
            "sex": "F",
            "phone": "+15550001111",
        },
    )


async def _department(c: Clinic) -> Request:
    return "POST", "/api/admin/departments", {"code": "NEW", "name": "New", "token_prefix": "ZQ"}


async def _doctor_edit(c: Clinic) -> Request:
    return "PATCH", f"/api/admin/doctors/{c.doctor.id}", {"specialty": "Family medicine"}


async def _audit(c: Clinic) -> Request:
    return "GET", "/api/admin/audit", None


async def _dashboard(c: Clinic) -> Request:
    return "GET", f"/api/admin/dashboard?department_id={c.department.id}", None


async def _session_close(c: Clinic) -> Request:
    async with c.services.database() as db:
        session_id = await db.scalar(
            select(DoctorSession.id).where(DoctorSession.doctor_id == c.doctor.id)
        )
    return "POST", f"/api/admin/sessions/{session_id}/close", {"reason": "unwell"}


async def _session_delay(c: Clinic) -> Request:
    async with c.services.database() as db:
        session_id = await db.scalar(
            select(DoctorSession.id).where(DoctorSession.doctor_id == c.doctor.id)
        )
    return "POST", f"/api/admin/sessions/{session_id}/delay", {"delay_minutes": 15}


async def _desk_day(c: Clinic) -> Request:
    await c.booked()
    return "GET", f"/api/departments/{c.department.id}/day", None


async def _slots(c: Clinic) -> Request:
    return "GET", f"/api/slots?doctor_id={c.doctor.id}&date={T0.date().isoformat()}", None


async def _priority_create(c: Clinic) -> Request:
    return "POST", "/api/admin/priority-categories", {"name": "Aged 65+", "weight": 2}


async def _priority_offered(c: Clinic) -> Request:
    return "GET", "/api/priority-categories", None


EVERYONE = frozenset(Role)
CASES = [
    Case("book", frozenset({A, S, N, P}), 201, _book),
    Case("walk_in", frozenset({A, S, N}), 201, _walk_in),
    Case("check_in", frozenset({A, S, N}), 200, _check_in),
    Case("call_next", frozenset({A, D}), 200, _call_next),
    Case("start", frozenset({A, D}), 200, _start),
    Case("recall", frozenset({A, D}), 200, _recall),
    Case("complete", frozenset({A, D}), 200, _complete),
    Case("skip", frozenset({A, D}), 200, _skip),
    Case("no_show", frozenset({A, D, S, N}), 200, _no_show),
    Case("requeue", frozenset({A, D, S, N}), 200, _requeue),
    Case("transfer", frozenset({A, D, S, N}), 200, _transfer),
    Case("cancel_ticket", frozenset({A, S, N}), 200, _cancel_ticket),
    Case("emergency", frozenset({A, D, S, N}), 201, _emergency),
    Case("vitals", frozenset({A, N, D}), 201, _vitals),
    Case("note", frozenset({A, D}), 201, _note),
    Case("queue", frozenset({A, D, N, S}), 200, _queue),
    Case("patient_search", frozenset({A, D, N, S}), 200, _patient_search),
    Case("patient_create", frozenset({A, N, S}), 201, _patient_create),
    Case("patient_invite", frozenset({A, N, S}), 201, _patient_invite),
    Case("my_patients", frozenset({P}), 200, _my_patients),
    Case("admin_department", frozenset({A}), 201, _department),
    Case("setup_doctor_edit", frozenset({A}), 200, _doctor_edit),  # the rest: test_admin_setup
    Case("audit", frozenset({A}), 200, _audit),
    Case("dashboard", frozenset({A}), 200, _dashboard),
    Case("session_close", frozenset({A, S, N}), 200, _session_close),
    Case("session_delay", frozenset({A, S, N}), 200, _session_delay),
    Case("desk_day", frozenset({A, D, N, S}), 200, _desk_day),
    Case("slots", EVERYONE, 200, _slots),
    Case("priority_create", frozenset({A}), 201, _priority_create),
    Case("priority_offered", frozenset({A, S, N}), 200, _priority_offered),
]


async def statuses(c: Clinic) -> list[tuple[int, str]]:
    async with c.services.database() as db:
        rows = await db.execute(select(Appointment.id, Appointment.status).order_by(Appointment.id))
        return [(i, s.value) for i, s in rows.tuples()]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_action_under_role(
    case: Case, role: Role, clinic_day: Clinic, client: Client
) -> None:
    method, path, body = await case.build(clinic_day)
    before = await statuses(clinic_day)
    response = await client.open(path, method=method, json=body, headers=clinic_day.headers(role))
    payload = await response.get_json()
    if role in case.allowed:
        assert response.status_code == case.status, payload
    else:
        assert (response.status_code, payload["code"]) == (403, "FORBIDDEN")
        assert await statuses(clinic_day) == before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_action_without_login_is_401(case: Case, clinic_day: Clinic, client: Client) -> None:
    method, path, body = await case.build(clinic_day)
    response = await client.open(path, method=method, json=body)
    assert response.status_code == 401
    assert (await response.get_json())["code"] == "UNAUTHENTICATED"
