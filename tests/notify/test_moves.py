"""The "moved" message after a late doctor, and "please come now" after a phone check-in."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, queue
from server.auth.actor import SYSTEM
from server.models import Appointment, DoctorSession, Patient, Ticket
from server.models.appointments import CheckinMethod
from server.notify.moves import later_starts
from server.notify.settings import NotifySettings
from server.solver.types import Plan, PlanEntry, SolveStats
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


async def line_of(clinic: Clinic, n: int, prefix: str) -> list[str]:
    phones = [f"{prefix}{i:04d}" for i in range(n)]
    for phone in phones:
        await walk_in(clinic, await clinic.patient(phone=phone))
    await clinic.settle()
    return phones


async def delay(clinic: Clinic, minutes: int) -> None:
    async def work(s: AsyncSession) -> DoctorSession:
        block = await s.scalar(
            select(DoctorSession.id).where(DoctorSession.doctor_id == clinic.doctor.id)
        )
        assert block is not None
        return await admin.delay_session(s, SYSTEM, session_id=block, delay_minutes=minutes, now=T0)

    await clinic.run(work)
    await clinic.settle()


def moved(fake: FakeTwilio, phone: str) -> list[str]:
    return [m["Body"] for m in fake.messages if m["To"] == phone and "turn moved" in m["Body"]]


async def test_a_doctor_40_minutes_late_tells_each_waiting_patient_once(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    phones = await line_of(clinic, 3, "+1555660")
    await delay(clinic, 40)

    first = moved(fake_twilio, phones[0])
    assert len(first) == 1
    assert "your turn moved to about 09:40" in first[0] and "about 40 min later" in first[0]
    assert [len(moved(fake_twilio, p)) for p in phones] == [1, 1, 1]
    assert "about 10:00" in moved(fake_twilio, phones[2])[0]

    # Later changes re-plan again; nobody is told twice about the same move, and 5 more
    # minutes are not worth a message.
    await walk_in(clinic, await clinic.patient(phone="+15556609999"))
    await delay(clinic, 45)
    assert [len(moved(fake_twilio, p)) for p in phones] == [1, 1, 1]


async def test_a_5_minute_delay_sends_no_moved_message(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    phones = await line_of(clinic, 2, "+1555661")
    await delay(clinic, 5)
    assert [moved(fake_twilio, p) for p in phones] == [[], []]


async def test_no_moved_message_in_quiet_hours(
    clinic: Clinic, fake_twilio: FakeTwilio, notify_config: NotifySettings
) -> None:
    clinic.notify.configure(
        notify_config.model_copy(update={"quiet_start": time(8, 0), "quiet_end": time(10, 0)})
    )
    phones = await line_of(clinic, 2, "+1555662")
    await delay(clinic, 40)
    assert [moved(fake_twilio, p) for p in phones] == [[], []]
    assert not [m for m in await clinic.outbox() if m.kind == "moved"]


async def test_please_come_now_once_to_a_patient_checked_in_from_their_phone(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    phones = [f"+155566300{i:02d}" for i in range(4)]
    tickets = [await walk_in(clinic, await clinic.patient(phone=p)) for p in phones]
    remote = tickets[3]  # three ahead of them
    await clinic.run(
        lambda s: s.execute(
            update(Appointment)
            .where(Appointment.id == remote.appointment_id)
            .values(checkin_method=CheckinMethod.PHONE)
        )
    )
    await clinic.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic.doctor.id, now=T0))
    await walk_in(clinic, await clinic.patient(phone="+15556639999"))  # another shift
    await clinic.settle()

    def come_now(phone: str) -> list[str]:
        return [m["Body"] for m in fake_twilio.messages if m["To"] == phone and "come" in m["Body"]]

    [notice] = come_now(phones[3])
    assert "please come to the waiting room now: 2 patients are ahead of you" in notice
    assert [come_now(p) for p in phones[:3]] == [[], [], []]  # at the desk already


def plan(*entries: tuple[int, int]) -> Plan:
    rows = tuple(PlanEntry(t, 1, k, start, start + 10, 0.0) for k, (t, start) in enumerate(entries))
    return Plan(3, "greedy", rows, SolveStats("feasible", 0.0, 0.0, None, 0.0), ())


def test_only_moves_later_by_the_threshold_count() -> None:
    before = plan((1, 540), (2, 550), (3, 560))
    after = plan((1, 545), (3, 575), (2, 600), (4, 610))
    assert later_starts(before, after, 15) == {2: (550, 600), 3: (560, 575)}
    assert later_starts(None, after, 15) == {}
    assert later_starts(after, before, 15) == {}  # earlier is good news, not a message
