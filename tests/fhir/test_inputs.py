"""Every bad input is a clear 4xx OperationOutcome that changes nothing; every resource type
reads and validates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fhir.conftest import FhirClinic, valid
from tests.fhir.test_endpoint import booking

KINDS = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "HealthcareService",
    "Schedule",
    "Slot",
    "Appointment",
    "Encounter",
)


async def test_every_resource_type_searches_reads_and_validates(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    slot = await client.resources("Slot").search(status="free").first()
    await client.resource("Appointment", **booking(slot.id, fhir_clinic.patient.id)).save()
    async with fhir_clinic.http() as http:
        for kind in KINDS:
            found = await http.get(f"/{kind}")
            assert found.status_code == 200, (kind, found.text)
            page = valid(found.json())
            assert page["total"] >= 1, kind
            first = page["entry"][0]["resource"]
            one = await http.get(f"/{kind}/{first['id']}")
            assert one.status_code == 200
            # the same resource; the signed live link carries its signing second, so it may differ
            assert _without_link(valid(one.json())) == _without_link(first)


async def test_paging_follows_the_bundle_links_and_count_is_bounded(
    fhir_clinic: FhirClinic,
) -> None:
    async with fhir_clinic.http() as http:
        page = (await http.get("/Slot", params={"_count": "3"})).json()
        assert len(page["entry"]) == 3 and page["total"] == 9
        seen = [e["resource"]["id"] for e in page["entry"]]
        while after := [x for x in page["link"] if x["relation"] == "next"]:
            page = (await http.get(after[0]["url"])).json()
            seen += [e["resource"]["id"] for e in page["entry"]]
        assert len(seen) == len(set(seen)) == 9
        capped = (await http.get("/Slot", params={"_count": "100000"})).json()
        assert len(capped["entry"]) == 9


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/Slot", {"start": "tomorrow"}, "BAD_QUERY"),
        ("/Slot", {"start": "ge0999-01-01"}, "BAD_QUERY"),
        ("/Slot", {"status": "maybe"}, "BAD_QUERY"),
        ("/Slot", {"colour": "blue"}, "BAD_QUERY"),
        ("/Slot", {"_count": "-1"}, "BAD_QUERY"),
        ("/Slot", {"_offset": "99999999"}, "BAD_QUERY"),
        ("/Appointment", {"patient": "Practitioner/1"}, "BAD_QUERY"),
        ("/Appointment", {"date": "2030-03-04T10:00"}, "BAD_QUERY"),
        ("/Patient", {"name": "x" * 300}, "BAD_QUERY"),
    ],
)
async def test_bad_search_parameters_are_400(
    fhir_clinic: FhirClinic, path: str, params: dict[str, str], code: str
) -> None:
    async with fhir_clinic.http() as http:
        answer = await http.get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert valid(answer.json())["issue"][0]["details"]["coding"][0]["code"] == code


async def test_bad_writes_are_refused_and_change_nothing(fhir_clinic: FhirClinic) -> None:
    async with fhir_clinic.http() as http:
        slot_id = (await http.get("/Slot", params={"status": "free"})).json()["entry"][0][
            "resource"
        ]["id"]
        cases = [
            (await http.post("/Appointment", content=b"{", headers=_json()), 400),
            (
                await http.post(
                    "/Appointment", content=b"<x/>", headers={"Content-Type": "text/xml"}
                ),
                415,
            ),
            (await http.post("/Appointment", json={"resourceType": "Patient"}), 422),
            (await http.post("/Appointment", json={**booking(slot_id, 1), "status": 5}), 422),
            (
                await http.post("/Appointment", json={**booking(slot_id, 1), "status": "noshow"}),
                422,
            ),
            (await http.post("/Appointment", json=booking("999999", fhir_clinic.patient.id)), 404),
            (await http.post("/Appointment", json=booking(slot_id, 999999)), 404),
            (await http.post("/Appointment", content=b"[" * 70000, headers=_json()), 413),
            (
                await http.post(
                    "/Patient", json={"resourceType": "Patient", "birthDate": "1990-01-01"}
                ),
                422,
            ),
            (await http.patch("/Appointment/999999", json={"status": "cancelled"}), 404),
            (await http.get("/Appointment/abc"), 404),
            (await http.get("/Observation"), 404),
            (await http.delete("/Patient/1"), 404),
        ]
        after = (await http.get("/Slot", params={"_id": slot_id})).json()["entry"][0]["resource"]
    for answer, status in cases:
        assert answer.status_code == status, (answer.request.url, answer.text)
        assert answer.headers["content-type"].startswith("application/fhir+json")
        valid(answer.json())
    assert after["status"] == "free"


async def test_an_unsupported_status_change_is_422(fhir_clinic: FhirClinic) -> None:
    client = fhir_clinic.client()
    slot = await client.resources("Slot").search(status="free").first()
    made = client.resource("Appointment", **booking(slot.id, fhir_clinic.patient.id))
    await made.save()
    async with fhir_clinic.http() as http:
        answer = await http.patch(f"/Appointment/{made.id}", json={"status": "fulfilled"})
        again = await http.patch(
            f"/Appointment/{made.id}",
            json=[{"op": "replace", "path": "/status", "value": "cancelled"}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        twice = await http.patch(f"/Appointment/{made.id}", json={"status": "arrived"})
    assert answer.status_code == 422
    assert answer.json()["issue"][0]["details"]["coding"][0]["code"] == "UNSUPPORTED_STATUS"
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert twice.status_code == 409  # a cancelled visit cannot arrive: the state machine says so


def _json() -> dict[str, str]:
    return {"Content-Type": "application/fhir+json"}


def _without_link(resource: dict[str, Any]) -> dict[str, Any]:
    kept = [e for e in resource.get("extension", []) if not e["url"].endswith("/live-link")]
    return {**resource, "extension": kept}
