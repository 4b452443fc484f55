"""The waitlist: a freed place offered to the first in line, taken, or passed on to the next."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import booking, waitlist
from server.actions.booking import SlotChoice
from server.actions.waitlist import Confirmation, OfferRules
from server.api.errors import http_status
from server.auth.actor import SYSTEM
from server.db import make_database, run_transaction
from server.errors import DomainError
from server.models import AuditEvent, Slot, Ticket
from server.models.waitlist import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session

NOW = T0 - timedelta(hours=3)  # 06:00: the clinic opens at 09:00
RULES = OfferRules(hold=timedelta(hours=2), notice=timedelta(minutes=30))


@dataclass
class Day:
    """A doctor's two 15-minute slots at 09:00, each full, and three patients waiting."""

    department_id: int
    doctor_id: int
    slots: list[int]
    tickets: list[int]  # the bookings that fill the slots
    entries: list[int]  # the waitlist, in line order
    patients: list[int]  # of the entries


async def run(engine: AsyncEngine, work: object) -> object:
    return await run_transaction(make_database(engine), work)  # type: ignore[arg-type]


async def full_day(engine: AsyncEngine, capacity: int = 1, waiting: int = 3) -> Day:
    async def work(s: AsyncSession) -> Day:
        department = await make_department(s)
        doctor = await make_doctor(s, department)
        await make_session(
            s,
            doctor,
            ends_at=T0 + timedelta(minutes=30),
            capacity_per_slot=capacity,
            overbook_cap=0,
        )
        slots = list(
            await s.scalars(
                select(Slot.id).where(Slot.doctor_id == doctor.id).order_by(Slot.starts_at)
            )
        )
        tickets = []
        for slot_id in slots:
            for _ in range(capacity):
                patient = await make_patient(s)
                ticket = await booking.book(
                    s, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot_id), now=NOW
                )
                tickets.append(ticket.id)
        entries, patients = [], []
        for _ in range(waiting):
            patient = await make_patient(s)
            entry = await waitlist.join(
                s,
                SYSTEM,
                patient_id=patient.id,
                department_id=department.id,
                doctor_id=None,
                day=T0.date(),
                now=NOW,
            )
            entries.append(entry.id)
            patients.append(patient.id)
        return Day(department.id, doctor.id, slots, tickets, entries, patients)

    day: Day = await run(engine, work)  # type: ignore[assignment]
    return day


async def offer(engine: AsyncEngine, now: object = NOW) -> list[tuple[int, int]]:
    """Run the waitlist's offers; return (entry, slot) of each offer made."""

    async def work(s: AsyncSession) -> list[tuple[int, int]]:
        await waitlist.expire(s, now)  # type: ignore[arg-type]
        made = await waitlist.offer_free_places(s, now, rules=RULES)  # type: ignore[arg-type]
        return [(o.entry_id, o.slot_id) for o in made]

    made: list[tuple[int, int]] = await run(engine, work)  # type: ignore[assignment]
    return made


async def cancel(engine: AsyncEngine, ticket_id: int) -> None:
    await run(engine, lambda s: booking.cancel(s, SYSTEM, ticket_id=ticket_id, now=NOW))


async def open_offer(engine: AsyncEngine, entry_id: int) -> WaitlistOffer:
    async def work(s: AsyncSession) -> WaitlistOffer | None:
        found: WaitlistOffer | None = await s.scalar(
            select(WaitlistOffer).where(
                WaitlistOffer.entry_id == entry_id, WaitlistOffer.status == OfferStatus.OPEN
            )
        )
        return found

    found = await run(engine, work)
    assert isinstance(found, WaitlistOffer)
    return found


async def confirm(engine: AsyncEngine, offer: WaitlistOffer, patient_id: int, now: object = NOW):  # type: ignore[no-untyped-def]
    return await run(
        engine,
        lambda s: waitlist.confirm(s, waitlist.link_actor(patient_id), offer_id=offer.id, now=now),
    )


async def read(engine: AsyncEngine, model: type, row_id: int):  # type: ignore[no-untyped-def]
    async with make_database(engine)() as db:
        return await db.get(model, row_id)


async def test_a_cancelled_place_is_offered_to_the_first_in_line_who_books_it(
    engine: AsyncEngine,
) -> None:
    day = await full_day(engine)
    assert await offer(engine) == []  # nothing free: nobody is offered anything

    await cancel(engine, day.tickets[0])
    assert await offer(engine) == [(day.entries[0], day.slots[0])]
    assert await offer(engine) == []  # the held place is not offered twice
    sent = await open_offer(engine, day.entries[0])
    assert sent.expires_at == NOW + RULES.hold  # held two hours for them

    done = await confirm(engine, sent, day.patients[0])
    assert isinstance(done, Confirmation) and done.ticket is not None
    ticket = await read(engine, Ticket, done.ticket.id)
    assert ticket.appointment.slot_id == day.slots[0]
    assert ticket.appointment.patient_id == day.patients[0]
    entry = await read(engine, WaitlistEntry, day.entries[0])
    assert entry.status is EntryStatus.BOOKED
    taken = await read(engine, WaitlistOffer, sent.id)
    assert taken.status is OfferStatus.ACCEPTED and taken.appointment_id == ticket.appointment_id
    slot = await read(engine, Slot, day.slots[0])
    assert slot.booked == slot.capacity == 1

    async def actions(s: AsyncSession) -> list[str]:
        rows = await s.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
        return [a for a in rows if a.startswith("waitlist") or a == "book"]

    trail: list[str] = await run(engine, actions)  # type: ignore[assignment]
    assert trail[-4:] == ["waitlist.join", "waitlist.offer", "book", "waitlist.accept"]


async def test_an_offer_nobody_answers_goes_to_the_next_patient(engine: AsyncEngine) -> None:
    day = await full_day(engine)
    await cancel(engine, day.tickets[0])
    assert await offer(engine) == [(day.entries[0], day.slots[0])]
    first = await open_offer(engine, day.entries[0])
    assert first.expires_at == NOW + RULES.hold  # 08:00

    assert await offer(engine, first.expires_at - timedelta(minutes=1)) == []  # still held
    after = first.expires_at + timedelta(minutes=1)
    assert await offer(engine, after) == [(day.entries[1], day.slots[0])]
    expired = await read(engine, WaitlistOffer, first.id)
    assert expired.status is OfferStatus.EXPIRED
    entry = await read(engine, WaitlistEntry, day.entries[0])
    assert entry.status is EntryStatus.WAITING  # keeps their place for another time
    second = await open_offer(engine, day.entries[1])
    assert second.expires_at == T0 - RULES.notice  # capped: 08:30, before the 09:00 slot

    with pytest.raises(DomainError) as refused:
        await confirm(engine, first, day.patients[0], after)
    assert (http_status(refused.value), refused.value.code) == (409, "OFFER_EXPIRED")
    done = await confirm(engine, second, day.patients[1], after)
    assert done.ticket is not None


async def test_an_expired_offer_cannot_be_confirmed_before_the_job_notices(
    engine: AsyncEngine,
) -> None:
    day = await full_day(engine)
    await cancel(engine, day.tickets[1])
    await offer(engine)
    first = await open_offer(engine, day.entries[0])
    with pytest.raises(DomainError) as refused:
        await confirm(engine, first, day.patients[0], first.expires_at)
    assert (http_status(refused.value), refused.value.code) == (409, "OFFER_EXPIRED")
    slot = await read(engine, Slot, day.slots[1])
    assert slot.booked == 0  # refused, nothing booked


async def test_concurrent_confirms_never_book_more_than_the_slot_holds(
    engine: AsyncEngine,
) -> None:
    day = await full_day(engine, capacity=2, waiting=4)
    for ticket_id in day.tickets[:2]:  # both places of 09:00
        await cancel(engine, ticket_id)
    made = await offer(engine)
    assert made == [(day.entries[0], day.slots[0]), (day.entries[1], day.slots[0])]

    async def walk_up(s: AsyncSession) -> Ticket:
        # Someone books on /book meanwhile: an offer holds no place against them.
        person = await make_patient(s)
        return await booking.book(
            s, SYSTEM, patient_id=person.id, choice=SlotChoice(day.slots[0]), now=NOW
        )

    await run(engine, walk_up)
    offers = [await open_offer(engine, e) for e in day.entries[:2]]
    results = await asyncio.gather(
        *(confirm(engine, o, p) for o, p in zip(offers, day.patients[:2], strict=True))
    )
    assert sorted(r.ticket is not None for r in results) == [False, True]
    [lost] = [r for r in results if r.ticket is None]
    assert lost.lost_code == "SLOT_FULL"
    slot = await read(engine, Slot, day.slots[0])
    assert slot.booked == slot.capacity == 2
    loser = lost.offer.entry_id
    assert (await read(engine, WaitlistEntry, loser)).status is EntryStatus.WAITING
    assert (await read(engine, WaitlistOffer, lost.offer.id)).status is OfferStatus.LOST
    # Back in line at their old place: the next place freed is theirs, before later joiners.
    await cancel(engine, day.tickets[2])  # one of 09:15
    assert await offer(engine) == [(loser, day.slots[1])]


async def test_joining_twice_or_for_a_past_day_is_refused(engine: AsyncEngine) -> None:
    day = await full_day(engine, waiting=1)

    async def again(s: AsyncSession) -> object:
        return await waitlist.join(
            s,
            SYSTEM,
            patient_id=day.patients[0],
            department_id=day.department_id,
            doctor_id=day.doctor_id,
            day=T0.date(),
            now=NOW,
        )

    with pytest.raises(DomainError) as twice:
        await run(engine, again)
    assert (http_status(twice.value), twice.value.code) == (409, "ALREADY_WAITING")

    async def yesterday(s: AsyncSession) -> object:
        return await waitlist.join(
            s,
            SYSTEM,
            patient_id=day.patients[0],
            department_id=day.department_id,
            doctor_id=None,
            day=T0.date() - timedelta(days=1),
            now=NOW,
        )

    with pytest.raises(DomainError) as past:
        await run(engine, yesterday)
    assert (http_status(past.value), past.value.code) == (422, "DAY_IN_PAST")


async def test_leaving_withdraws_the_offer_and_passes_the_place_on(engine: AsyncEngine) -> None:
    day = await full_day(engine, waiting=2)
    await cancel(engine, day.tickets[0])
    await offer(engine)
    first = await open_offer(engine, day.entries[0])
    await run(engine, lambda s: waitlist.leave(s, SYSTEM, entry_id=day.entries[0], now=NOW))
    assert (await read(engine, WaitlistOffer, first.id)).status is OfferStatus.WITHDRAWN
    assert await offer(engine) == [(day.entries[1], day.slots[0])]
    with pytest.raises(DomainError) as again:
        await run(engine, lambda s: waitlist.leave(s, SYSTEM, entry_id=day.entries[0], now=NOW))
    assert again.value.code == "NOT_WAITING"
