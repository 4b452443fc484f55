"""Notification fixtures: a fake Twilio, a real SMTP server, a clinic with a booked patient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.app import create_app
from server.auth.actor import SYSTEM
from server.config import Settings
from server.jobs import InProcessJobs
from server.models import Doctor, Patient, Slot, Ticket
from server.models.outbox import OutboxMessage, OutboxStatus
from server.notify.delivery import Report
from server.notify.runtime import Notifications
from server.notify.scheduler import deliver_outbox, job_context
from server.notify.settings import NotifySettings
from server.runtime import runtime_of
from server.services import Services
from server.services import clinic as clinic_state
from tests.conftest import T0, Clock
from tests.factories import make_department, make_doctor, make_patient, make_session
from tests.notify.fake_twilio import FakeTwilio
from tests.notify.smtp_server import Inbox, PortZeroController


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Test settings that send SMS through (the fake) Twilio."""
    return settings.model_copy(update={"notifier": "twilio", "clinic_name": "Riverside Clinic"})


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """Run the fake Twilio API on loopback."""
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """Run a real SMTP server on loopback; yield its inbox and port."""
    inbox = Inbox()
    controller = PortZeroController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def notify_config(fake_twilio: FakeTwilio, smtp: tuple[Inbox, int]) -> NotifySettings:
    """Point SMS at the fake Twilio and e-mail at the SMTP server; short timeouts."""
    return NotifySettings(
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_from="+15550000000",
        twilio_api_base=fake_twilio.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_starttls=False,
        smtp_from="clinic@riverside.example",
        send_timeout_s=2.0,  # generous: a loaded CI machine must not turn a reply into a timeout
        backoff_base_s=10,
        backoff_max_s=600,
        max_attempts=4,
        lease_s=30,
    )


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, clock: Clock, notify_config: NotifySettings
) -> AsyncIterator[Quart]:
    """Yield the app with notifications configured for the fakes."""
    app = create_app(settings, notify=notify_config)
    clinic_state(app).clock = clock
    async with app.test_app():
        yield app


@pytest.fixture
async def notify(app: Quart) -> Notifications:
    """Return the notifications the app attached at start, with the test configuration."""
    made = runtime_of(app).notifications
    assert made is not None
    return made


@dataclass
class Clinic:
    """One doctor working today, helpers to book and to run delivery."""

    services: Services
    doctor: Doctor
    notify: Notifications

    async def run(self, work: Any) -> Any:
        return await self.services.run(work)

    async def patient(self, **overrides: Any) -> Patient:
        patient: Patient = await self.run(lambda s: make_patient(s, **overrides))
        return patient

    async def book(self, patient: Patient, at_minutes: int = 0, now: Any = None) -> Ticket:
        async def work(s: AsyncSession) -> Ticket:
            slot = await s.scalar(
                select(Slot).where(
                    Slot.doctor_id == self.doctor.id,
                    Slot.starts_at == T0 + timedelta(minutes=at_minutes),
                )
            )
            assert slot is not None
            return await booking.book(
                s,
                SYSTEM,
                patient_id=patient.id,
                choice=SlotChoice(slot.id),
                now=now or T0 - timedelta(days=3),
            )

        ticket: Ticket = await self.run(work)
        return ticket

    async def settle(self) -> None:
        """Wait for the delivery jobs the actions started."""
        assert isinstance(self.services.jobs, InProcessJobs)
        await self.services.jobs.drain()

    async def deliver(self) -> Report:
        return await deliver_outbox(job_context(self.notify))

    async def outbox(self, **where: Any) -> list[OutboxMessage]:
        async def work(s: AsyncSession) -> list[OutboxMessage]:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            for name, value in where.items():
                query = query.where(getattr(OutboxMessage, name) == value)
            return list(await s.scalars(query))

        rows: list[OutboxMessage] = await self.run(work)
        return rows

    async def statuses(self) -> list[OutboxStatus]:
        return [m.status for m in await self.outbox()]


@pytest.fixture
async def clinic(services: Services, notify: Notifications) -> Clinic:
    """A department with one doctor in a room, working 09:00-13:00 on T0's day."""

    async def work(s: AsyncSession) -> Doctor:
        department = await make_department(s, name="General", token_prefix="G")
        doctor = await make_doctor(s, department, name="Dr. Rivera")
        await make_session(s, doctor)
        return doctor

    return Clinic(services, await services.run(work), notify)
