"""Messages while the patient waits: N ahead, go to room X, delayed by an emergency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.actions import booking, queue
from server.auth.actor import SYSTEM
from server.models import Patient, Ticket
from server.notify.scheduler import notify_moved
from server.notify.settings import NotifySettings
from tests.conftest import T0
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio


async def walk_in(clinic: Clinic, patient: Patient) -> Ticket:
    department_id = clinic.doctor.department_id
    ticket: Ticket = await clinic.run(
        lambda s: booking.register_walk_in(
            s, SYSTEM, patient_id=patient.id, department_id=department_id, now=T0
        )
    )
    return ticket


async def to_phone(fake: FakeTwilio, phone: str) -> list[str]:
    return [m["Body"] for m in fake.messages if m["To"] == phone]


async def test_calling_tells_the_patient_which_room_to_go_to(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    patient = await clinic.patient(phone="+15551110001")
    ticket = await walk_in(clinic, patient)
    await clinic.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic.doctor.id, now=T0))
    await clinic.run(lambda s: queue.recall(s, SYSTEM, ticket_id=ticket.id, now=T0))
    await clinic.settle()

    calls = [b for b in await to_phone(fake_twilio, "+15551110001") if "now" in b]
    assert len(calls) == 2  # the call and the recall
    assert all(f"ticket {ticket.token}, please go to Room" in b for b in calls)


async def test_each_patient_hears_once_when_three_or_fewer_are_ahead(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    phones = [f"+1555222{i:04d}" for i in range(6)]
    for phone in phones:
        await walk_in(clinic, await clinic.patient(phone=phone))
    await clinic.settle()
    ahead = {
        p: [b for b in await to_phone(fake_twilio, p) if "ahead" in b or "next" in b]
        for p in phones
    }
    assert [len(ahead[p]) for p in phones] == [1, 1, 1, 1, 0, 0]
    assert "you are next" in ahead[phones[0]][0]
    assert "3 patients ahead of you" in ahead[phones[3]][0]

    await clinic.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic.doctor.id, now=T0))
    await clinic.settle()
    ahead5 = [b for b in await to_phone(fake_twilio, phones[4]) if "ahead" in b]
    assert ahead5 == [ahead5[0]] and "3 patients ahead of you" in ahead5[0]
    again = [b for b in await to_phone(fake_twilio, phones[3]) if "ahead" in b]
    assert len(again) == 1  # not told a second time


async def test_an_emergency_tells_the_patients_it_delays(
    clinic: Clinic, fake_twilio: FakeTwilio, notify_config: NotifySettings
) -> None:
    clinic.notify.configure(notify_config.model_copy(update={"ahead_threshold": 0}))
    phones = [f"+1555333{i:04d}" for i in range(3)]
    for phone in phones:
        await walk_in(clinic, await clinic.patient(phone=phone))
    emergency = await clinic.patient(phone="+15553339999")
    department_id = clinic.doctor.department_id
    await clinic.run(
        lambda s: queue.insert_emergency(
            s, SYSTEM, now=T0, department_id=department_id, patient_id=emergency.id
        )
    )
    await clinic.settle()

    for phone in phones:
        [notice] = [b for b in await to_phone(fake_twilio, phone) if "emergency" in b]
        assert "10 min longer" in notice
    assert not [b for b in await to_phone(fake_twilio, "+15553339999") if "emergency" in b]


@pytest.mark.parametrize(("later_by", "sent"), [(45.0, True), (5.0, False)])
async def test_the_scheduler_can_tell_a_patient_they_moved_a_lot(
    clinic: Clinic, fake_twilio: FakeTwilio, later_by: float, sent: bool
) -> None:
    ticket = await walk_in(clinic, await clinic.patient(phone="+15554440001"))
    await clinic.settle()
    before = len(fake_twilio.messages)
    wrote = await clinic.run(
        lambda s: notify_moved(
            s,
            clinic.notify,
            ticket_id=ticket.id,
            later_by_min=later_by,
            expected_at=T0 + timedelta(minutes=later_by),
            occasion="plan-7",
            now=T0,
        )
    )
    await clinic.settle()

    assert wrote is sent
    news = fake_twilio.bodies()[before:]
    assert (news and f"about {round(later_by)} min later" in news[0]) if sent else news == []
    assert (f"moved to about 09:{round(later_by):02d}" in news[0]) if sent else True
