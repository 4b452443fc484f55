"""A booking writes its confirmation with the change and the patient's phone gets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.models import ContactPreference, Slot
from server.models.outbox import OutboxMessage, OutboxStatus
from tests.conftest import T0
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio
from tests.notify.smtp_server import Inbox


async def test_a_booking_texts_token_time_doctor_room_and_live_link(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    patient = await clinic.patient(phone="+15551230001")
    ticket = await clinic.book(patient, at_minutes=30)
    await clinic.settle()

    [sms] = fake_twilio.messages
    assert sms["To"] == "+15551230001"
    assert sms["From"] == "+15550000000"
    assert "Riverside Clinic" in sms["Body"]
    assert ticket.token in sms["Body"]
    assert "2030-03-04 09:30" in sms["Body"]
    assert "Dr. Rivera" in sms["Body"]
    assert "Room" in sms["Body"]
    assert "http://clinic.test/t/" in sms["Body"]
    [row] = await clinic.outbox()
    assert row.status is OutboxStatus.SENT
    assert row.provider_id == fake_twilio.messages[0]["sid"]


async def test_email_patients_get_an_email(clinic: Clinic, smtp: tuple[Inbox, int]) -> None:
    patient = await clinic.patient(
        contact_preference=ContactPreference.EMAIL, email="ana@riverside.example"
    )
    ticket = await clinic.book(patient)
    await clinic.settle()

    [mail] = smtp[0].received
    assert mail["To"] == "ana@riverside.example"
    assert mail["From"] == "clinic@riverside.example"
    assert ticket.token in mail["Subject"]
    assert "http://clinic.test/t/" in mail.get_payload()


@pytest.mark.parametrize(
    "overrides",
    [{"opted_out": True}, {"contact_preference": ContactPreference.NONE}, {"phone": None}],
    ids=["opted-out", "prefers-none", "no-phone"],
)
async def test_patients_who_want_no_messages_get_none(
    clinic: Clinic, fake_twilio: FakeTwilio, overrides: dict[str, object]
) -> None:
    patient = await clinic.patient(**overrides)
    await clinic.book(patient)
    await clinic.settle()

    assert fake_twilio.messages == []
    assert await clinic.outbox() == []


async def test_a_booking_that_rolls_back_leaves_no_message(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    patient = await clinic.patient()

    async def book_then_fail(db):  # type: ignore[no-untyped-def]
        slot = await db.scalar(select(Slot).where(Slot.doctor_id == clinic.doctor.id).limit(1))
        await booking.book(db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=T0)
        raise RuntimeError("the desk PC crashed")

    with pytest.raises(RuntimeError):
        await clinic.run(book_then_fail)
    await clinic.settle()

    assert await clinic.run(lambda s: s.scalar(select(func.count(OutboxMessage.id)))) == 0
    assert fake_twilio.messages == []


async def test_a_retried_delivery_does_not_send_twice(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    patient = await clinic.patient()
    await clinic.book(patient)
    await clinic.settle()
    report = await clinic.deliver()

    assert report.sent == 0
    assert len(fake_twilio.messages) == 1


async def test_cancelling_and_rescheduling_tell_the_patient(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    patient = await clinic.patient()
    ticket = await clinic.book(patient, at_minutes=0)
    await clinic.run(
        lambda s: booking.reschedule(
            s,
            SYSTEM,
            ticket_id=ticket.id,
            choice=SlotChoice(doctor_id=clinic.doctor.id, starts_at=T0 + timedelta(minutes=60)),
            now=T0 - timedelta(days=2),
        )
    )
    await clinic.run(
        lambda s: booking.cancel(s, SYSTEM, ticket_id=ticket.id, now=T0 - timedelta(days=1))
    )
    await clinic.settle()

    kinds = [m.kind for m in await clinic.outbox()]
    assert kinds == ["confirmation", "rescheduled", "cancelled"]
    moved, cancelled = fake_twilio.bodies()[1:]
    assert "2030-03-04 10:00" in moved
    assert "cancelled" in cancelled
