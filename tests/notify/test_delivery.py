"""Delivery under faults: retries with backoff, give up after the limit, bad addresses alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.outbox import OutboxMessage, OutboxStatus
from server.notify import outbox
from server.notify.delivery import backoff_s
from server.notify.settings import NotifySettings
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio


async def test_a_500_is_retried_after_backoff_and_delivered_once(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next = 1
    await clinic.book(await clinic.patient())
    await clinic.settle()
    [row] = await clinic.outbox()
    assert row.status is OutboxStatus.PENDING
    assert "500" in row.last_error
    assert fake_twilio.messages == []

    assert (await clinic.deliver()).sent == 0  # not before the backoff has passed
    clinic.services.clock.advance(seconds=10)  # type: ignore[attr-defined]
    assert (await clinic.deliver()).sent == 1

    assert len(fake_twilio.messages) == 1
    assert fake_twilio.requests == 2
    [row] = await clinic.outbox()
    assert row.status is OutboxStatus.SENT and row.attempts == 2


async def test_a_hanging_provider_times_out_and_the_message_goes_later_once(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.hang_next = 1
    await clinic.book(await clinic.patient())
    await clinic.settle()
    [row] = await clinic.outbox()
    assert row.status is OutboxStatus.PENDING
    assert "no answer within 2 s" in row.last_error

    clinic.services.clock.advance(seconds=10)  # type: ignore[attr-defined]
    await clinic.deliver()
    assert len(fake_twilio.messages) == 1
    assert await clinic.statuses() == [OutboxStatus.SENT]


async def test_after_the_last_attempt_the_message_fails_for_an_admin_to_see(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next = 100
    await clinic.book(await clinic.patient())
    await clinic.settle()
    for _ in range(5):
        clinic.services.clock.advance(hours=1)  # type: ignore[attr-defined]
        await clinic.deliver()

    [row] = await clinic.outbox()
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 4
    assert row.last_error.startswith("gave up: twilio 500")


def test_backoff_doubles_up_to_its_cap(notify_config: NotifySettings) -> None:
    assert [backoff_s(notify_config, n) for n in (1, 2, 3, 7, 20)] == [10, 20, 40, 600, 600]


async def test_bad_numbers_and_addresses_fail_alone_and_the_rest_go(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    # The API refuses these at entry; rows imported by other means may still carry them.
    bad_phone = await clinic.patient(phone="555-0100")
    bad_email = await clinic.patient(contact_preference="email", email="not-an-address")
    refused = await clinic.patient(contact_preference="email", email="x@refused.example")
    good = await clinic.patient(phone="+15556660001")
    for minutes, patient in enumerate((bad_phone, bad_email, refused, good)):
        await clinic.book(patient, at_minutes=15 * minutes)
    await clinic.settle()

    rows = {m.to_address: m for m in await clinic.outbox()}
    assert rows["+15556660001"].status is OutboxStatus.SENT
    for address in ("555-0100", "not-an-address", "x@refused.example"):
        assert rows[address].status is OutboxStatus.FAILED
        assert rows[address].attempts == 1  # no point retrying
    assert "not an E.164" in rows["555-0100"].last_error
    assert "550" in rows["x@refused.example"].last_error
    assert [m["To"] for m in fake_twilio.messages] == ["+15556660001"]


async def test_twilio_refusing_a_number_fails_that_message_only(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    # E.164-shaped but unassigned: only the provider can tell (Twilio error 21211).
    fake_twilio.unassigned.add("+15550000123")
    await clinic.book(await clinic.patient(phone="+15550000123"))
    await clinic.book(await clinic.patient(phone="+15556660002"), at_minutes=15)
    await clinic.settle()

    rows = {m.to_address: m for m in await clinic.outbox()}
    assert rows["+15550000123"].status is OutboxStatus.FAILED
    assert "code 21211" in rows["+15550000123"].last_error
    assert rows["+15556660002"].status is OutboxStatus.SENT


async def test_a_lease_left_by_a_dead_worker_is_taken_over(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next = 1  # keep the message pending after the booking's own delivery
    await clinic.book(await clinic.patient())
    await clinic.settle()
    now = clinic.services.clock()

    async def claim_and_die(db: AsyncSession) -> None:
        await db.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.SENDING,
                claim="dead-worker",
                lease_until=now + timedelta(seconds=30),
                next_attempt_at=now,
            )
        )

    await clinic.run(claim_and_die)
    assert (await clinic.deliver()).sent == 0  # the lease still holds
    clinic.services.clock.advance(seconds=31)  # type: ignore[attr-defined]
    assert (await clinic.deliver()).sent == 1
    assert len(fake_twilio.messages) == 1


async def test_a_sender_slower_than_its_lease_keeps_its_claim_by_renewing_it(
    clinic: Clinic, fake_twilio: FakeTwilio, notify_config: NotifySettings
) -> None:
    clinic.notify.configure(notify_config.model_copy(update={"lease_s": 0.6}))
    draft = outbox.Draft("renew:1", None, "test", "sms", "+15550001111", "", "slow provider")
    await clinic.run(lambda s: outbox.add(s, draft, clinic.services.clock()))
    fake_twilio.delay_s = 1.5
    first = asyncio.create_task(clinic.deliver())
    await asyncio.sleep(0.1)
    clinic.services.clock.advance(seconds=5)  # type: ignore[attr-defined]  # far past the lease
    await asyncio.sleep(0.5)  # the sender renews every 0.2 s

    assert (await clinic.deliver()).sent == 0  # a second worker finds the claim still held
    assert (await first).sent == 1
    assert fake_twilio.bodies() == ["slow provider"]
