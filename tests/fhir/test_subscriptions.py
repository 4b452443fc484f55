"""Subscriptions (rest-hook): status changes reach a local receiver, retried when it fails."""

from __future__ import annotations

from typing import Any

from server.fhir.delivery import deliver_fhir
from server.jobs import InProcessJobs
from tests.conftest import Clock
from tests.fhir.conftest import FhirClinic, valid
from tests.fhir.receiver import receiver
from tests.fhir.test_endpoint import booking

HOOK = "http://ehr.test/hook"


def subscription(criteria: str, endpoint: str) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "the EHR follows arrivals",
        "criteria": criteria,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "header": ["Authorization: Bearer ehr-secret"],
        },
    }


async def drain(fhir_clinic: FhirClinic) -> None:
    jobs = fhir_clinic.server.services.jobs
    assert isinstance(jobs, InProcessJobs)
    await jobs.drain()


async def test_status_changes_are_posted_and_a_refused_post_is_retried(
    fhir_clinic: FhirClinic, clock: Clock
) -> None:
    admin, desk = fhir_clinic.client("admin"), fhir_clinic.client("desk")
    async with receiver(refuse_first=1) as ehr:
        made = admin.resource("Subscription", **subscription("Encounter", ehr.url))
        await made.save()
        valid(made.serialize())
        assert made["status"] == "active"
        assert made["channel"]["header"] == ["Authorization: ***"]  # never shown again
        arrivals = subscription("Appointment?status=arrived", ehr.url)
        await admin.resource("Subscription", **arrivals).save()

        slot = await desk.resources("Slot").search(status="free").first()
        appointment = desk.resource("Appointment", **booking(slot.id, fhir_clinic.patient.id))
        await appointment.save()
        await drain(fhir_clinic)
        assert ehr.attempts == 1 and ehr.received == []  # refused: waits for its retry

        await desk.patch("Appointment", appointment.id, status="arrived")
        await drain(fhir_clinic)
        assert [a["status"] for a in ehr.resources("Appointment")] == ["arrived"]
        assert [e["status"] for e in ehr.resources("Encounter")] == ["arrived"]

        clock.advance(minutes=2)  # past the first backoff (30 s)
        await deliver_fhir({"services": fhir_clinic.server.services})
        assert [e["status"] for e in ehr.resources("Encounter")] == ["arrived", "planned"]
        for headers, body in ehr.received:
            valid(body)
            assert headers["Authorization"] == "Bearer ehr-secret"
            assert headers["Content-Type"] == "application/fhir+json"
            assert body["identifier"][0]["value"] == appointment["identifier"][0]["value"]


async def test_a_removed_subscription_gets_nothing_more(fhir_clinic: FhirClinic) -> None:
    admin, desk = fhir_clinic.client("admin"), fhir_clinic.client("desk")
    async with receiver() as ehr:
        made = admin.resource("Subscription", **subscription("Appointment", ehr.url))
        await made.save()
        await admin.delete("Subscription", made.id)
        slot = await desk.resources("Slot").search(status="free").first()
        await desk.resource("Appointment", **booking(slot.id, fhir_clinic.patient.id)).save()
        await drain(fhir_clinic)
        assert ehr.received == []


async def test_only_admins_subscribe_and_bad_subscriptions_are_refused(
    fhir_clinic: FhirClinic,
) -> None:
    async with fhir_clinic.http("desk") as http:
        refused = await http.post("/Subscription", json=subscription("Appointment", "http://x"))
    assert refused.status_code == 403
    async with fhir_clinic.http("admin") as http:
        for body, field in (
            (subscription("Observation", HOOK), "Subscription.criteria"),
            (subscription("Appointment?status=lost", HOOK), "Subscription.criteria"),
            (subscription("Appointment", "ftp://ehr.test/hook"), "Subscription.channel.endpoint"),
        ):
            answer = await http.post("/Subscription", json=body)
            assert answer.status_code == 422, answer.text
            valid(answer.json())
            assert answer.json()["issue"][0]["expression"] == [field]
        bad_channel = subscription("Appointment", HOOK)
        bad_channel["channel"]["type"] = "websocket"
        answer = await http.post("/Subscription", json=bad_channel)
        assert answer.status_code == 422
