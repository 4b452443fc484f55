"""Who reaches what: bearer tokens, SMART scopes, a patient's own compartment, roles."""

from __future__ import annotations

import httpx

from tests.fhir.conftest import FhirClinic, valid
from tests.fhir.test_endpoint import booking


async def test_no_token_is_401_and_metadata_is_open(fhir_clinic: FhirClinic) -> None:
    async with fhir_clinic.http(None) as http:
        refused = await http.get("/Slot")
        statement = await http.get("/metadata")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    valid(refused.json())
    assert statement.status_code == 200


async def test_a_token_acts_only_within_its_scopes(fhir_clinic: FhirClinic) -> None:
    async with fhir_clinic.http("desk_slots_only") as http:
        slots = await http.get("/Slot")
        patients = await http.get("/Patient")
        slot_id = slots.json()["entry"][0]["resource"]["id"]
        booked = await http.post("/Appointment", json=booking(slot_id, fhir_clinic.patient.id))
    assert slots.status_code == 200
    assert patients.status_code == 403
    assert patients.json()["issue"][0]["details"]["coding"][0]["code"] == "INSUFFICIENT_SCOPE"
    assert booked.status_code == 403


async def test_a_scoped_token_does_not_open_the_rest_api(fhir_clinic: FhirClinic) -> None:
    async with httpx.AsyncClient(base_url=fhir_clinic.server.url) as http:
        headers = {"Authorization": f"Bearer {fhir_clinic.tokens['desk']}"}
        answer = await http.get(f"/api/patients/{fhir_clinic.patient.id}", headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "TOKEN_SCOPED"


async def test_scopes_a_role_cannot_hold_are_refused(fhir_clinic: FhirClinic) -> None:
    async with httpx.AsyncClient(base_url=fhir_clinic.server.url) as http:
        for who, scopes, code in (
            ("desk_plain", ["patient/*.read"], "SCOPE_NOT_ALLOWED"),
            ("desk_plain", ["system/Observation.read"], "SCOPE_INVALID"),
            ("desk_plain", ["system/Slot.fly"], "SCOPE_INVALID"),
        ):
            answer = await http.post(
                "/api/auth/tokens",
                json={"scopes": scopes},
                headers={"Authorization": f"Bearer {fhir_clinic.tokens[who]}"},
            )
            assert answer.status_code == 422, answer.text
            assert answer.json()["code"] == code


async def test_a_patient_token_sees_and_books_only_for_its_patient(
    fhir_clinic: FhirClinic,
) -> None:
    desk, mine = fhir_clinic.client("desk"), fhir_clinic.client("patient")
    free = await desk.resources("Slot").search(status="free").fetch()
    other = desk.resource("Appointment", **booking(free[0].id, fhir_clinic.other_patient.id))
    await other.save()
    own = mine.resource("Appointment", **booking(free[1].id, fhir_clinic.patient.id))
    await own.save()

    seen = await mine.resources("Appointment").fetch_all()
    assert [a.id for a in seen] == [own.id]
    patients = await mine.resources("Patient").fetch_all()
    assert [p.id for p in patients] == [str(fhir_clinic.patient.id)]
    async with fhir_clinic.http("patient") as http:
        hidden = await http.get(f"/Appointment/{other.id}")
        for_another = await http.post(
            "/Appointment", json=booking(free[2].id, fhir_clinic.other_patient.id)
        )
        register = await http.post("/Patient", json={"resourceType": "Patient"})
    assert hidden.status_code == 404  # not even whether it exists
    assert for_another.status_code == 403
    assert register.status_code == 403
