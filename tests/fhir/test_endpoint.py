"""The FHIR endpoint through a real FHIR client (fhirpy) against the served app."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpy.base.exceptions import OperationOutcome
from sqlalchemy import func, select

from server.fhir.base import RECORD_NUMBER, TOKEN
from server.models import AuditEvent, Patient
from tests.fhir.conftest import FhirClinic, valid


def booking(slot_id: str, patient_id: int) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


async def test_the_capability_statement_says_r4_and_what_is_served(
    fhir_clinic: FhirClinic,
) -> None:
    statement = valid(await fhir_clinic.client().execute("metadata", method="get"))
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Slot", "Appointment", "Encounter", "Patient", "Schedule"} <= set(served)
    assert {p["name"] for p in served["Slot"]["searchParam"]} >= {"schedule", "status", "start"}


async def test_book_a_free_slot_see_it_busy_then_cancel_it(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    schedule = f"Schedule/{fhir_clinic.session.id}"
    free = await client.resources("Slot").search(schedule=schedule, status="free").fetch_all()
    assert len(free) == 8  # two hours of 15-minute slots
    for slot in free:
        valid(slot)
    first = free[0]

    appointment = client.resource("Appointment", **booking(first.id, fhir_clinic.patient.id))
    await appointment.save()
    valid(appointment.serialize())
    assert appointment["status"] == "booked"
    token = appointment["identifier"][0]
    assert token["system"] == TOKEN and token["value"].endswith("-001")
    links = [e["valueUrl"] for e in appointment["extension"] if e["url"].endswith("/live-link")]
    assert links and "/t/" in links[0]

    slot = valid(await client.resources("Slot").search(_id=first.id).first())
    assert slot["status"] == "busy"
    still_free = await client.resources("Slot").search(schedule=schedule, status="free").fetch_all()
    assert first.id not in {s.id for s in still_free}

    cancelled = valid(await client.patch("Appointment", appointment.id, status="cancelled"))
    assert cancelled["status"] == "cancelled"
    slot = await client.resources("Slot").search(_id=first.id).first()
    assert slot["status"] == "free"

    async def actions(db: Any) -> list[str]:
        rows = await db.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
        return list(rows)

    assert (await fhir_clinic.server.services.read(actions))[-2:] == ["book", "cancel"]


async def test_a_full_slot_is_refused_with_an_operation_outcome(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    schedule = f"Schedule/{fhir_clinic.full_session.id}"
    (only,) = await client.resources("Slot").search(schedule=schedule).fetch_all()
    await client.resource("Appointment", **booking(only.id, fhir_clinic.patient.id)).save()

    second = client.resource("Appointment", **booking(only.id, fhir_clinic.other_patient.id))
    with pytest.raises(OperationOutcome) as refused:
        await second.save()
    outcome = valid(refused.value.resource)
    assert outcome["issue"][0]["code"] == "conflict"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "SLOT_FULL"
    async with fhir_clinic.http() as http:
        answer = await http.post(
            "/Appointment",
            json=booking(only.id, fhir_clinic.other_patient.id),
            headers={"Content-Type": "application/fhir+json"},
        )
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/fhir+json")
    busy = await client.resources("Slot").search(_id=only.id).first()
    assert busy["status"] == "busy"


async def test_a_conditional_create_twice_makes_one_patient(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    identifier = f"{RECORD_NUMBER}|EHR-4711"
    patient = client.resource(
        "Patient",
        name=[{"family": "Okoro", "given": ["Ada"]}],
        birthDate="1990-05-17",
        gender="female",
        telecom=[{"system": "phone", "value": "+15550004711"}],
    )
    patients = client.resources("Patient").search(identifier=identifier)
    first, made = await patients.get_or_create(patient)
    again, made_again = await patients.get_or_create(patient)
    assert (made, made_again) == (True, False)
    assert first.id == again.id
    valid(first.serialize())
    assert first["identifier"][0]["value"] == "EHR-4711"

    async with fhir_clinic.http() as http:
        header = await http.post(
            "/Patient",
            json=dict(patient.serialize()),
            headers={"If-None-Exist": f"identifier={identifier}"},
        )
    assert header.status_code == 200 and header.json()["id"] == first.id
    assert await client.resources("Patient").search(identifier=identifier).count() == 1

    async def count(db: Any) -> int:
        return int(
            await db.scalar(
                select(func.count(Patient.id)).where(Patient.record_number == "EHR-4711")
            )
        )

    assert await fhir_clinic.server.services.read(count) == 1


async def test_arrival_makes_the_encounter_arrived_with_the_token(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    slot = (
        await client.resources("Slot")
        .search(schedule=f"Schedule/{fhir_clinic.session.id}", status="free")
        .first()
    )
    appointment = client.resource("Appointment", **booking(slot.id, fhir_clinic.patient.id))
    await appointment.save()
    encounter = valid(await client.resources("Encounter").search(_id=appointment.id).first())
    assert encounter["status"] == "planned"

    arrived = valid(await client.patch("Appointment", appointment.id, status="arrived"))
    assert arrived["status"] == "arrived"
    encounter = valid(await client.resources("Encounter").search(status="arrived").first())
    assert encounter["identifier"][0]["value"] == appointment["identifier"][0]["value"]
    found = (
        await client.resources("Appointment")
        .search(patient=f"Patient/{fhir_clinic.patient.id}", status="arrived", date="2030-03-04")
        .fetch_all()
    )
    assert [a.id for a in found] == [appointment.id]
