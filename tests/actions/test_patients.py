"""Registering a patient: one transaction, an audit row, 409 on a taken record number."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from server.actions.patients import NewPatient, create_patient
from server.api.errors import http_status
from server.auth.actor import SYSTEM
from server.errors import DomainError
from server.models import AuditEvent, Patient
from server.services import Services
from tests.conftest import T0

NEW = NewPatient(full_name="Ana Lima", date_of_birth=date(1990, 1, 1), sex="F")


async def test_a_patient_is_created_with_a_record_number_and_an_audit_row(
    services: Services,
) -> None:
    patient = await services.run(lambda s: create_patient(s, SYSTEM, NEW, now=T0))
    row = await services.read(
        lambda s: s.scalar(select(AuditEvent).where(AuditEvent.action == "patient.create"))
    )
    assert patient.record_number.startswith("MRN-")
    assert row is not None and row.details == {
        "patient_id": patient.id,
        "record_number": patient.record_number,
    }


async def test_registrations_racing_for_one_record_number_give_one_patient(
    services: Services,
) -> None:
    same = NewPatient(
        full_name="Ana Lima", date_of_birth=date(1990, 1, 1), sex="F", record_number="MRN-7"
    )
    results = await asyncio.gather(
        *(services.run(lambda s: create_patient(s, SYSTEM, same, now=T0)) for _ in range(4)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 3 and {r.code for r in refused} == {"RECORD_NUMBER_TAKEN"}
    assert all(http_status(r) == 409 for r in refused)
    assert await services.read(lambda s: s.scalar(select(func.count(Patient.id)))) == 1
    audits = await services.read(
        lambda s: s.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "patient.create")
        )
    )
    assert audits == 1


async def test_a_refused_registration_leaves_nothing(services: Services) -> None:
    taken = NewPatient(
        full_name="Ana Lima", date_of_birth=date(1990, 1, 1), sex="F", record_number="MRN-8"
    )
    await services.run(lambda s: create_patient(s, SYSTEM, taken, now=T0))
    with pytest.raises(DomainError):
        await services.run(lambda s: create_patient(s, SYSTEM, taken, now=T0))
    assert await services.read(lambda s: s.scalar(select(func.count(Patient.id)))) == 1
