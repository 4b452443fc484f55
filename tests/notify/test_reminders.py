"""Reminders go at each lead time, once, never in quiet hours, never for late bookings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.models import Appointment
from server.models.outbox import OutboxStatus
from server.notify.reminders import quiet_until, reminder_lead
from server.notify.scheduler import job_context, send_due_reminders
from tests.conftest import T0
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio


async def remind(clinic: Clinic, at: datetime) -> int:
    clinic.services.clock.now = at  # type: ignore[attr-defined]
    count = await send_due_reminders(job_context(clinic.notify))
    await clinic.settle()
    return count


async def test_two_reminders_each_sent_once(clinic: Clinic, fake_twilio: FakeTwilio) -> None:
    ticket = await clinic.book(await clinic.patient(phone="+15559990001"), at_minutes=180)
    noon = T0 + timedelta(hours=3)
    await clinic.settle()
    fake_twilio.messages.clear()

    assert await remind(clinic, noon - timedelta(hours=30)) == 0  # too early
    assert await remind(clinic, noon - timedelta(hours=24)) == 1
    assert await remind(clinic, noon - timedelta(hours=23)) == 0  # already sent
    assert await remind(clinic, noon - timedelta(hours=2)) == 1
    assert await remind(clinic, noon - timedelta(minutes=90)) == 0

    assert len(fake_twilio.messages) == 2
    assert all("reminder" in b and ticket.token in b for b in fake_twilio.bodies())
    assert all("2030-03-04 12:00" in b for b in fake_twilio.bodies())


async def test_reminders_wait_for_the_end_of_quiet_hours(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    await clinic.book(await clinic.patient(), at_minutes=0)  # 09:00; 2 h before is 07:00
    await clinic.settle()
    fake_twilio.messages.clear()

    assert await remind(clinic, T0 - timedelta(hours=2)) == 1
    assert fake_twilio.messages == []  # written, but held back until 08:00
    [reminder] = await clinic.outbox(kind="reminder")
    assert reminder.next_attempt_at == T0 - timedelta(hours=1)

    clinic.services.clock.now = T0 - timedelta(hours=1)  # type: ignore[attr-defined]
    await clinic.deliver()
    assert len(fake_twilio.messages) == 1
    assert await clinic.statuses() == [OutboxStatus.SENT, OutboxStatus.SENT]


async def test_no_reminder_for_a_booking_made_after_its_reminder_time(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    await clinic.book(await clinic.patient(), at_minutes=60, now=T0 - timedelta(minutes=30))
    assert await remind(clinic, T0) == 0
    assert [m.kind for m in await clinic.outbox()] == ["confirmation"]


def test_quiet_hours_follow_the_clinic_clock_across_midnight() -> None:
    lisbon = ZoneInfo("Europe/Lisbon")
    start, end = time(21, 0), time(8, 0)
    summer_night = datetime(2030, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 in Lisbon
    assert quiet_until(summer_night, lisbon, start, end) == datetime(2030, 7, 2, 7, 0, tzinfo=UTC)
    early = datetime(2030, 7, 2, 5, 0, tzinfo=UTC)  # 06:00 in Lisbon
    assert quiet_until(early, lisbon, start, end) == datetime(2030, 7, 2, 7, 0, tzinfo=UTC)
    assert quiet_until(datetime(2030, 7, 2, 12, 0, tzinfo=UTC), lisbon, start, end) is None


def test_an_appointment_without_a_time_has_no_reminder_due() -> None:
    # A walk-in has no scheduled time; this ran on an `assert`, which `python -O` drops.
    walk_in = Appointment(scheduled_at=None)
    assert reminder_lead(walk_in, [120, 1440], T0) is None
