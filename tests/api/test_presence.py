"""Doctors' desks: who may open and close them, what the answer says, what a bad body gets."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent, Doctor, Role
from tests.api.conftest import Clinic
from tests.conftest import T0
from tests.factories import make_doctor


async def colleague(clinic_day: Clinic) -> int:
    """Add a doctor without a login to the clinic's department."""

    async def work(db: AsyncSession) -> int:
        return (await make_doctor(db, clinic_day.department)).id

    return int(await clinic_day.services.run(work))


async def test_a_doctor_opens_and_closes_their_own_desk(clinic_day: Clinic, client: Client) -> None:
    path = f"/api/doctors/{clinic_day.doctor.id}/desk"
    opened = await client.post(path, json={"open": True}, headers=clinic_day.headers(Role.DOCTOR))
    assert opened.status_code == 200
    assert await opened.get_json() == {
        "doctor_id": clinic_day.doctor.id,
        "open": True,
        "since": T0.isoformat(),
    }
    closed = await client.post(path, json={"open": False}, headers=clinic_day.headers(Role.DOCTOR))
    assert (await closed.get_json())["open"] is False
    actions = await clinic_day.services.read(
        lambda s: s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("desk.%")))
    )
    assert list(actions) == ["desk.open", "desk.close"]
    queue = await client.get(
        f"/api/departments/{clinic_day.department.id}/queue",
        headers=clinic_day.headers(Role.STAFF),
    )
    [doctor] = (await queue.get_json())["doctors"]
    assert (doctor["desk_open"], doctor["late"]) == (False, False)


@pytest.mark.parametrize("role", [Role.STAFF, Role.NURSE, Role.ADMIN])
async def test_the_desk_staff_open_the_desk_of_a_doctor_without_a_login(
    clinic_day: Clinic, client: Client, role: Role
) -> None:
    other = await colleague(clinic_day)
    answer = await client.post(
        f"/api/doctors/{other}/desk", json={"open": True}, headers=clinic_day.headers(role)
    )
    assert answer.status_code == 200
    assert (await answer.get_json())["open"] is True


async def test_a_doctor_cannot_open_a_colleagues_desk_and_a_patient_none(
    clinic_day: Clinic, client: Client
) -> None:
    other = await colleague(clinic_day)
    refused = await client.post(
        f"/api/doctors/{other}/desk", json={"open": True}, headers=clinic_day.headers(Role.DOCTOR)
    )
    assert refused.status_code == 403
    patient = await client.post(
        f"/api/doctors/{other}/desk", json={"open": True}, headers=clinic_day.headers(Role.PATIENT)
    )
    assert patient.status_code == 403
    doctor = await clinic_day.services.read(lambda s: s.get(Doctor, other))
    assert doctor is not None and doctor.desk_open is False and doctor.desk_since is None


@pytest.mark.parametrize("body", [{}, {"open": "yes"}, {"open": 1}, {"open": True, "x": 1}])
async def test_a_bad_body_is_refused_and_changes_nothing(
    clinic_day: Clinic, client: Client, body: dict[str, object]
) -> None:
    answer = await client.post(
        f"/api/doctors/{clinic_day.doctor.id}/desk",
        json=body,
        headers=clinic_day.headers(Role.STAFF),
    )
    assert answer.status_code in (400, 422)
    assert "code" in await answer.get_json()
    doctor = await clinic_day.services.read(lambda s: s.get(Doctor, clinic_day.doctor.id))
    assert doctor is not None and doctor.desk_since is None


async def test_an_unknown_doctor_is_a_404(clinic_day: Clinic, client: Client) -> None:
    answer = await client.post(
        "/api/doctors/999999/desk", json={"open": True}, headers=clinic_day.headers(Role.STAFF)
    )
    assert answer.status_code == 404
    assert (await answer.get_json())["code"] == "DOCTOR_NOT_FOUND"
