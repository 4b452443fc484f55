"""A closure or leave confirmed with `offer_moves`: each patient is offered the nearest time."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.models import Appointment, Role, Slot
from server.models.outbox import OutboxMessage
from server.models.waitlist import WaitlistOffer
from tests.api.conftest import Clinic
from tests.api.test_admin_rotas import HOLIDAY, call, tuesdays
from tests.factories import make_doctor, make_session

LINK = re.compile(r"http://clinic\.test(/w/[\w.\-]+)")


async def book(client: Client, c: Clinic, doctor_id: int, at: str) -> int:
    booked = await client.post(
        "/api/appointments",
        json={"patient_id": c.patient.id, "doctor_id": doctor_id, "starts_at": at},
        headers=c.headers(Role.STAFF),
    )
    assert booked.status_code == 201, await booked.get_json()
    appointment_id: int = (await booked.get_json())["appointment_id"]
    return appointment_id


async def messages(c: Clinic, kind: str) -> list[str]:
    async def work(s: AsyncSession) -> list[str]:
        rows = await s.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.kind == kind, OutboxMessage.to_address == c.patient.phone)
            .order_by(OutboxMessage.id)
        )
        return list(rows)

    found: list[str] = await c.services.read(work)
    return found


async def audit_actions(client: Client, c: Clinic) -> list[str]:
    audit = await client.get("/api/admin/audit", headers=c.headers(Role.ADMIN))
    return [e["action"] for e in (await audit.get_json())["events"]]


async def test_a_holiday_with_offer_moves_holds_the_nearest_free_time_and_the_link_books_it(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    assert (await call(client, c, "POST", "/templates", tuesdays(c)))[0] == 201
    assert (await call(client, c, "POST", "/generate"))[1]["created"] == 4
    appointment_id = await book(client, c, c.doctor.id, f"{HOLIDAY.isoformat()}T10:00:00+00:00")

    closure: dict[str, Any] = {
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
        "reason": "Holiday",
        "confirm_appointment_ids": [appointment_id],
        "offer_moves": True,
    }
    status, done = await call(client, c, "POST", "/closures", closure)
    assert status == 201, done
    assert done["cancelled_appointment_ids"] == [appointment_id]
    [offer_id] = done["move_offer_ids"]
    mine = await client.get(f"/api/appointments/{appointment_id}", headers=c.headers(Role.STAFF))
    assert (await mine.get_json())["status"] == "cancelled"

    # The nearest free place: the whole clinic is closed that day, so the doctor's next Tuesday
    # at the same time.
    offer = await c.services.read(lambda s: s.get(WaitlistOffer, offer_id))
    assert offer is not None and offer.status == "open"
    slot = await c.services.read(lambda s: s.get(Slot, offer.slot_id))
    assert slot is not None and slot.doctor_id == c.doctor.id
    next_week = HOLIDAY + timedelta(weeks=1)
    assert slot.starts_at.isoformat().startswith(f"{next_week.isoformat()}T10:00")

    [body] = await messages(c, "rota_moved")
    assert await messages(c, "rota_cancelled") == []  # one message, not two
    assert "clinic is closed" in body
    match = LINK.search(body)
    assert match is not None, body
    link = match.group(1)

    page = await client.get(link)
    assert page.status_code == 200 and "Book this place" in await page.get_data(as_text=True)
    answered = await client.post(link, form={"answer": "confirm"})
    assert answered.status_code == 201, await answered.get_data(as_text=True)
    holder = await c.services.read(
        lambda s: s.scalar(
            select(Appointment.patient_id).where(
                Appointment.slot_id == slot.id, Appointment.status == "booked"
            )
        )
    )
    assert holder == c.patient.id
    actions = await audit_actions(client, c)
    assert {"rota.closure.create", "cancel", "rota.move_offer", "waitlist.accept", "book"} <= set(
        actions
    ), actions


async def test_leave_on_a_full_day_cancels_only(clinic_day: Clinic, client: Client) -> None:
    c = clinic_day
    template = tuesdays(c, valid_to=HOLIDAY.isoformat())  # the doctor's last Tuesday
    assert (await call(client, c, "POST", "/templates", template))[0] == 201
    assert (await call(client, c, "POST", "/generate"))[1]["created"] == 2
    appointment_id = await book(client, c, c.doctor.id, f"{HOLIDAY.isoformat()}T10:00:00+00:00")

    async def full_colleague(s: AsyncSession) -> None:
        # Another doctor of the department works that day, but their one place is taken.
        doctor = await make_doctor(s, c.department)
        starts = c.services.clock().replace(
            year=HOLIDAY.year, month=HOLIDAY.month, day=HOLIDAY.day, hour=11, minute=0
        )
        session = await make_session(
            s,
            doctor,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            capacity_per_slot=1,
            overbook_cap=0,
        )
        slot_id = await s.scalar(select(Slot.id).where(Slot.session_id == session.id))
        assert slot_id is not None
        await booking.book(
            s,
            SYSTEM,
            patient_id=c.other_patient.id,
            choice=SlotChoice(slot_id),
            now=c.services.clock(),
        )

    await c.services.run(full_colleague)
    leave = {
        "doctor_id": c.doctor.id,
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
        "confirm_appointment_ids": [appointment_id],
        "offer_moves": True,
    }
    status, done = await call(client, c, "POST", "/leave", leave)
    assert status == 201, done
    assert (done["cancelled_appointment_ids"], done["move_offer_ids"]) == ([appointment_id], [])
    assert await messages(c, "rota_moved") == []
    [body] = await messages(c, "rota_cancelled")
    assert "is away" in body
    actions = await audit_actions(client, c)
    assert {"rota.leave.create", "cancel", "rota.move_none"} <= set(actions), actions


async def test_leave_offers_a_colleague_the_same_day_and_a_decline_releases_it(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    assert (await call(client, c, "POST", "/templates", tuesdays(c)))[0] == 201
    assert (await call(client, c, "POST", "/generate"))[1]["created"] == 4
    appointment_id = await book(client, c, c.doctor.id, f"{HOLIDAY.isoformat()}T10:30:00+00:00")

    async def colleague(s: AsyncSession) -> int:
        # Another doctor of the department works that afternoon and the next morning.
        doctor = await make_doctor(s, c.department)
        day = c.services.clock().replace(year=HOLIDAY.year, month=HOLIDAY.month, day=HOLIDAY.day)
        for starts in (day.replace(hour=14, minute=0), day.replace(hour=8) + timedelta(days=1)):
            await make_session(
                s, doctor, starts_at=starts, ends_at=starts + timedelta(hours=1), overbook_cap=0
            )
        return doctor.id

    colleague_id = await c.services.run(colleague)
    leave = {
        "doctor_id": c.doctor.id,
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
        "reason": "Conference",
        "confirm_appointment_ids": [appointment_id],
        "offer_moves": True,
    }
    status, done = await call(client, c, "POST", "/leave", leave)
    assert status == 201, done
    [offer_id] = done["move_offer_ids"]
    offer = await c.services.read(lambda s: s.get(WaitlistOffer, offer_id))
    assert offer is not None
    slot = await c.services.read(lambda s: s.get(Slot, offer.slot_id))
    # The same day first, at the nearest time, with a colleague: 14:00 beats tomorrow's 08:00.
    assert slot is not None and slot.doctor_id == colleague_id
    assert slot.starts_at.isoformat().startswith(f"{HOLIDAY.isoformat()}T14:00")

    [body] = await messages(c, "rota_moved")
    assert "is away" in body
    match = LINK.search(body)
    assert match is not None, body
    declined = await client.post(match.group(1), form={"answer": "decline"})
    assert declined.status_code == 200, await declined.get_data(as_text=True)
    offer = await c.services.read(lambda s: s.get(WaitlistOffer, offer_id))
    assert offer is not None and offer.status == "declined"
    slot = await c.services.read(lambda s: s.get(Slot, slot.id))
    assert slot is not None and slot.booked == 0  # released, nothing booked
    actions = await audit_actions(client, c)
    assert {"rota.leave.create", "rota.move_offer", "waitlist.decline"} <= set(actions), actions


async def test_a_template_edit_offers_the_new_hours_of_the_same_day(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    status, template = await call(client, c, "POST", "/templates", tuesdays(c))
    assert status == 201, template
    assert (await call(client, c, "POST", "/generate"))[1]["created"] == 4
    appointment_id = await book(client, c, c.doctor.id, f"{HOLIDAY.isoformat()}T10:00:00+00:00")

    edit = {
        "start_time": "14:00",
        "end_time": "16:00",
        "confirm_appointment_ids": [appointment_id],
        "offer_moves": True,
    }
    status, done = await call(client, c, "PATCH", f"/templates/{template['id']}", edit)
    assert status == 200, done
    assert done["cancelled_appointment_ids"] == [appointment_id]
    [offer_id] = done["move_offer_ids"]
    offer = await c.services.read(lambda s: s.get(WaitlistOffer, offer_id))
    assert offer is not None
    slot = await c.services.read(lambda s: s.get(Slot, offer.slot_id))
    # The sessions of the new hours are made before the offer: the same day at 14:00.
    assert slot is not None and slot.doctor_id == c.doctor.id
    assert slot.starts_at.isoformat().startswith(f"{HOLIDAY.isoformat()}T14:00")
    [body] = await messages(c, "rota_moved")
    assert "hours changed" in body and LINK.search(body) is not None
    actions = await audit_actions(client, c)
    assert {"rota.template.update", "rota.move_offer"} <= set(actions), actions


async def test_two_patients_are_never_offered_the_same_place(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    assert (await call(client, c, "POST", "/templates", tuesdays(c)))[0] == 201
    assert (await call(client, c, "POST", "/generate"))[1]["created"] == 4
    first = await book(client, c, c.doctor.id, f"{HOLIDAY.isoformat()}T10:00:00+00:00")
    # One place per slot (capacity 1, no overbooking): the second patient has 10:15.
    booked = await client.post(
        "/api/appointments",
        json={
            "patient_id": c.other_patient.id,
            "doctor_id": c.doctor.id,
            "starts_at": f"{HOLIDAY.isoformat()}T10:15:00+00:00",
        },
        headers=c.headers(Role.STAFF),
    )
    assert booked.status_code == 201, await booked.get_json()
    second = (await booked.get_json())["appointment_id"]

    closure = {
        "starts_on": HOLIDAY.isoformat(),
        "ends_on": HOLIDAY.isoformat(),
        "confirm_appointment_ids": [first, second],
        "offer_moves": True,
    }
    status, done = await call(client, c, "POST", "/closures", closure)
    assert status == 201, done
    assert len(done["move_offer_ids"]) == 2

    async def slots(s: AsyncSession) -> list[int]:
        rows = await s.scalars(
            select(WaitlistOffer.slot_id).where(WaitlistOffer.id.in_(done["move_offer_ids"]))
        )
        return list(rows)

    offered = await c.services.read(slots)
    assert len(set(offered)) == 2  # capacity 1 each: one held place per patient
