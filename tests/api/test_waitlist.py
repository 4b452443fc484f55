"""The waitlist over HTTP: join, a cancellation offered by message, confirmed by its link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.jobs import InProcessJobs
from server.models import Appointment, Patient, Role, Slot, Ticket
from server.models.outbox import OutboxMessage
from server.services import Services
from tests.api.conftest import Clinic
from tests.conftest import T0, Clock
from tests.factories import make_doctor, make_patient, make_session

LINK = re.compile(r"http://clinic\.test(/w/[\w.\-]+)")


@dataclass
class FullSlot:
    """A doctor with one 15-minute slot at 13:00, booked by someone."""

    doctor_id: int
    slot_id: int
    booking: Ticket


async def full_slot(clinic: Clinic) -> FullSlot:
    async def work(s: AsyncSession) -> FullSlot:
        doctor = await make_doctor(s, clinic.department)
        starts = T0 + timedelta(hours=4)
        await make_session(
            s,
            doctor,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            capacity_per_slot=1,
            overbook_cap=0,
        )
        slot_id = await s.scalar(select(Slot.id).where(Slot.doctor_id == doctor.id))
        assert slot_id is not None
        other = await make_patient(s)
        ticket = await booking.book(
            s, SYSTEM, patient_id=other.id, choice=SlotChoice(slot_id), now=T0
        )
        return FullSlot(doctor.id, slot_id, ticket)

    made: FullSlot = await clinic.services.run(work)
    return made


async def settle(services: Services) -> None:
    assert isinstance(services.jobs, InProcessJobs)
    await services.jobs.drain()


async def offer_links(services: Services, patient: Patient) -> list[str]:
    """Return the confirm links of the waitlist offers sent to this patient, oldest first."""

    async def work(s: AsyncSession) -> list[str]:
        rows = await s.scalars(
            select(OutboxMessage.body)
            .where(
                OutboxMessage.kind == "waitlist_offer", OutboxMessage.to_address == patient.phone
            )
            .order_by(OutboxMessage.id)
        )
        return list(rows)

    found = []
    for body in await services.read(work):
        match = LINK.search(body)
        assert match is not None, body
        found.append(match.group(1))
    return found


async def join(client: Client, clinic: Clinic, role: Role, **body: object) -> dict[str, object]:
    response = await client.post("/api/waitlist", json=body, headers=clinic.headers(role))
    assert response.status_code == 201, await response.get_json()
    data: dict[str, object] = await response.get_json()
    return data


async def test_a_patient_joins_gets_the_cancelled_place_by_message_and_books_it(
    client: Client, clinic_day: Clinic
) -> None:
    clinic, services = clinic_day, clinic_day.services
    full = await full_slot(clinic)
    mine = await join(client, clinic, Role.PATIENT, doctor_id=full.doctor_id)
    assert mine["status"] == "waiting" and mine["patient_id"] == clinic.patient.id
    assert mine["last_day"] == (T0.date() + timedelta(days=13)).isoformat()
    await settle(services)
    assert await offer_links(services, clinic.patient) == []  # nothing free yet

    listed = await client.get("/api/waitlist", headers=clinic.headers(Role.PATIENT))
    assert [e["id"] for e in (await listed.get_json())["entries"]] == [mine["id"]]

    cancelled = await client.post(
        f"/api/appointments/{full.booking.appointment_id}/cancel",
        json={},
        headers=clinic.headers(Role.STAFF),
    )
    assert cancelled.status_code == 200
    await settle(services)
    [link] = await offer_links(services, clinic.patient)

    page = await client.get(link)
    text = await page.get_data(as_text=True)
    assert page.status_code == 200 and "Book this place" in text
    assert page.headers["Cache-Control"] == "no-store"

    answered = await client.post(link, form={"answer": "confirm"})
    assert answered.status_code == 201
    assert "Booked: ticket" in await answered.get_data(as_text=True)
    slot = await services.read(lambda s: s.get(Slot, full.slot_id))
    assert slot is not None and slot.booked == slot.capacity == 1
    holder = await services.read(
        lambda s: s.scalar(
            select(Appointment.patient_id).where(
                Appointment.slot_id == full.slot_id, Appointment.status == "booked"
            )
        )
    )
    assert holder == clinic.patient.id

    again = await client.post(link, form={"answer": "confirm"})
    assert again.status_code == 409  # answered already: nothing booked twice
    listed = await client.get("/api/waitlist?status=booked", headers=clinic.headers(Role.PATIENT))
    [entry] = (await listed.get_json())["entries"]
    assert entry["offers"][0]["status"] == "accepted"


async def test_an_unanswered_offer_runs_out_and_goes_to_the_next_patient(
    client: Client, clinic_day: Clinic, clock: Clock
) -> None:
    clinic, services = clinic_day, clinic_day.services
    full = await full_slot(clinic)
    first = await join(client, clinic, Role.PATIENT, doctor_id=full.doctor_id, day=str(T0.date()))
    second = await join(
        client,
        clinic,
        Role.STAFF,
        patient_id=clinic.other_patient.id,
        doctor_id=full.doctor_id,
        day=str(T0.date()),
    )
    staff_list = await client.get(
        f"/api/waitlist?department_id={clinic.department.id}", headers=clinic.headers(Role.STAFF)
    )
    assert [e["id"] for e in (await staff_list.get_json())["entries"]] == [
        first["id"],
        second["id"],
    ]

    await client.post(
        f"/api/appointments/{full.booking.appointment_id}/cancel",
        json={},
        headers=clinic.headers(Role.STAFF),
    )
    await settle(services)
    [to_first] = await offer_links(services, clinic.patient)

    clock.now = T0 + timedelta(hours=2, minutes=1)  # the two-hour hold is over
    await services.enqueue("offer_waitlist", key="offer_waitlist")  # the periodic run
    await settle(services)
    assert await offer_links(services, clinic.patient) == [to_first]  # not offered it again
    [_to_second] = await offer_links(services, clinic.other_patient)

    late = await client.post(to_first, form={"answer": "confirm"})
    assert late.status_code == 409
    assert "expired" in await late.get_data(as_text=True)

    # The second patient's offer, confirmed from the desk's API on their behalf.
    listed = await client.get(
        f"/api/waitlist?patient_id={clinic.other_patient.id}", headers=clinic.headers(Role.STAFF)
    )
    [entry] = (await listed.get_json())["entries"]
    assert entry["status"] == "offered"
    offer_id = entry["offers"][0]["id"]
    # A patient cannot answer someone else's offer: it does not exist for them.
    stranger = await client.post(
        f"/api/waitlist/offers/{offer_id}/confirm", headers=clinic.headers(Role.PATIENT)
    )
    assert stranger.status_code == 404
    booked = await client.post(
        f"/api/waitlist/offers/{offer_id}/confirm", headers=clinic.headers(Role.STAFF)
    )
    assert booked.status_code == 201
    assert (await booked.get_json())["slot_id"] == full.slot_id


async def test_bad_requests_are_refused_with_a_code(client: Client, clinic_day: Clinic) -> None:
    clinic = clinic_day
    cases = [
        ({}, 422, "DEPARTMENT_REQUIRED"),
        ({"department_id": 10**9}, 404, "DEPARTMENT_NOT_FOUND"),
        ({"department_id": clinic.department.id, "day": "2000-01-01"}, 422, "DAY_IN_PAST"),
        ({"department_id": clinic.department.id, "extra": 1}, 400, "VALIDATION_ERROR"),
        (
            {"department_id": clinic.department.id, "patient_id": clinic.other_patient.id},
            403,
            "FORBIDDEN",
        ),
    ]
    for body, status, code in cases:
        response = await client.post(
            "/api/waitlist", json=body, headers=clinic.headers(Role.PATIENT)
        )
        assert (response.status_code, (await response.get_json())["code"]) == (status, code), body
    doctor = await client.post(
        "/api/waitlist",
        json={"department_id": clinic.department.id, "patient_id": clinic.patient.id},
        headers=clinic.headers(Role.DOCTOR),
    )
    assert doctor.status_code == 403
    bad_status = await client.get("/api/waitlist?status=maybe", headers=clinic.headers(Role.STAFF))
    assert (await bad_status.get_json())["code"] == "BAD_QUERY"
    forged = await client.get("/w/not-a-real-link")
    assert forged.status_code == 401


async def test_no_offer_is_made_in_quiet_hours_the_place_waits_for_the_morning(
    client: Client, clinic_day: Clinic, clock: Clock
) -> None:
    clinic, services = clinic_day, clinic_day.services
    full = await full_slot(clinic)
    clock.now = T0 - timedelta(hours=4)  # 05:00: quiet until 08:00
    await join(client, clinic, Role.PATIENT, doctor_id=full.doctor_id)
    await client.post(
        f"/api/appointments/{full.booking.appointment_id}/cancel",
        json={},
        headers=clinic.headers(Role.STAFF),
    )
    await settle(services)
    assert await offer_links(services, clinic.patient) == []

    clock.now = T0 - timedelta(minutes=59)  # 08:01
    await services.enqueue("offer_waitlist", key="offer_waitlist")
    await settle(services)
    assert len(await offer_links(services, clinic.patient)) == 1


async def test_a_patient_who_cannot_be_told_is_passed_over(
    client: Client, clinic_day: Clinic
) -> None:
    clinic, services = clinic_day, clinic_day.services
    full = await full_slot(clinic)
    silent = await services.run(lambda s: make_patient(s, opted_out=True))
    await join(client, clinic, Role.STAFF, patient_id=silent.id, doctor_id=full.doctor_id)
    await join(client, clinic, Role.PATIENT, doctor_id=full.doctor_id)
    await client.post(
        f"/api/appointments/{full.booking.appointment_id}/cancel",
        json={},
        headers=clinic.headers(Role.STAFF),
    )
    await settle(services)
    assert len(await offer_links(services, clinic.patient)) == 1
    listed = await client.get(
        f"/api/waitlist?patient_id={silent.id}", headers=clinic.headers(Role.STAFF)
    )
    [entry] = (await listed.get_json())["entries"]
    assert (entry["status"], entry["offers"]) == ("waiting", [])
