"""A small clinic per test, with one login per role, for the API tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.models import Department, Doctor, Patient, Role, Slot, Ticket
from server.services import Services
from tests.conftest import T0
from tests.factories import (
    make_department,
    make_doctor,
    make_patient,
    make_session,
    make_token,
    make_user,
)


@dataclass
class Clinic:
    """One department, a doctor working today, a patient with a login, a token per role."""

    department: Department
    doctor: Doctor
    patient: Patient
    other_patient: Patient
    tokens: dict[Role, str]
    services: Services

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def _run(self, work):  # type: ignore[no-untyped-def]
        return await self.services.run(work)

    async def walk_in(self, patient: Patient | None = None) -> Ticket:
        target = patient or self.other_patient
        return await self._run(
            lambda s: booking.register_walk_in(
                s, SYSTEM, patient_id=target.id, department_id=self.department.id, now=T0
            )
        )  # type: ignore[no-any-return]

    async def booked(self, patient: Patient | None = None) -> Ticket:
        target = patient or self.patient

        async def work(s: AsyncSession) -> Ticket:
            slot = await s.scalar(
                select(Slot)
                .where(Slot.doctor_id == self.doctor.id, Slot.booked == 0)
                .order_by(Slot.starts_at)
                .limit(1)
            )
            assert slot is not None
            return await booking.book(
                s,
                SYSTEM,
                patient_id=target.id,
                choice=SlotChoice(slot.id),
                now=T0 - timedelta(hours=1),
            )

        return await self._run(work)  # type: ignore[no-any-return]

    async def called(self) -> Ticket:
        ticket = await self.walk_in()
        return await self._run(
            lambda s: queue.call_ticket(
                s, SYSTEM, ticket_id=ticket.id, doctor_id=self.doctor.id, now=T0
            )
        )  # type: ignore[no-any-return]

    async def in_consultation(self) -> Ticket:
        ticket = await self.called()
        return await self._run(lambda s: queue.start(s, SYSTEM, ticket_id=ticket.id, now=T0))  # type: ignore[no-any-return]


@pytest.fixture
async def clinic_day(services: Services, client: Client) -> Clinic:
    async with services.database() as db, db.begin():
        department = await make_department(db)
        doctor_user = await make_user(db, Role.DOCTOR)
        doctor = await make_doctor(db, department, user_id=doctor_user.id)
        await make_session(
            db,
            doctor,
            starts_at=T0 - timedelta(hours=1),
            ends_at=T0 + timedelta(hours=6),
            capacity_per_slot=2,
        )
        patient_user = await make_user(db, Role.PATIENT)
        patient = await make_patient(db, user_id=patient_user.id)
        other = await make_patient(db)
        tokens = {
            Role.DOCTOR: await make_token(db, doctor_user),
            Role.PATIENT: await make_token(db, patient_user),
        }
        for role in (Role.ADMIN, Role.NURSE, Role.STAFF):
            tokens[role] = await make_token(db, await make_user(db, role))
    return Clinic(department, doctor, patient, other, tokens, services)
