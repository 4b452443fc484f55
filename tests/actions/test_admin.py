"""A doctor leaving early: closed slots, patients moved to the shared queue, messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, queue
from server.actions.booking import SlotChoice
from server.api.errors import http_status
from server.auth.actor import SYSTEM
from server.errors import DomainError
from server.events import EventKind, QueueEvent
from server.models import AuditEvent, Doctor, DoctorSession, Slot, Ticket
from server.models.outbox import OutboxMessage
from server.scheduling import versions
from server.services import Services
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session

ELEVEN = T0 + timedelta(hours=2)
BEFORE = T0 - timedelta(hours=1)  # bookings are made before the clinic opens


@dataclass
class Day:
    """Two doctors of one department in session 09:00-13:00."""

    leaving: Doctor
    staying: Doctor
    session_id: int


async def open_day(services: Services) -> Day:
    async def work(s: AsyncSession) -> Day:
        department = await make_department(s)
        leaving = await make_doctor(s, department)
        staying = await make_doctor(s, department)
        block = await make_session(s, leaving)
        await make_session(s, staying)
        return Day(leaving, staying, block.id)

    return await services.run(work)


async def book_at(services: Services, doctor: Doctor, minutes: int, **patient: object) -> Ticket:
    async def work(s: AsyncSession) -> Ticket:
        person = await make_patient(s, **patient)
        return await booking.book(
            s,
            SYSTEM,
            patient_id=person.id,
            choice=SlotChoice(doctor_id=doctor.id, starts_at=T0 + timedelta(minutes=minutes)),
            now=BEFORE,
        )

    return await services.run(work)


async def walk_in(services: Services, doctor: Doctor, *, chosen: bool = True) -> Ticket:
    async def work(s: AsyncSession) -> Ticket:
        person = await make_patient(s)
        return await booking.register_walk_in(
            s,
            SYSTEM,
            patient_id=person.id,
            department_id=doctor.department_id,
            doctor_id=doctor.id if chosen else None,
            now=T0,
        )

    return await services.run(work)


async def plan_version(services: Services, day: Day) -> int:
    row = await services.read(lambda s: versions.current(s, day.leaving.department_id, T0.date()))
    return row.version if row is not None else 0


async def close(services: Services, day: Day, at: datetime = ELEVEN) -> admin.EarlyClose:
    return await services.run(
        lambda s: admin.close_session_early(
            s, SYSTEM, session_id=day.session_id, at=at, reason="unwell", now=T0
        )
    )


async def test_slots_from_the_close_refuse_bookings_and_earlier_ones_still_book(
    services: Services,
) -> None:
    day = await open_day(services)
    held = await book_at(services, day.leaving, 150)  # 11:30, booked before the close
    closed = await close(services, day)
    assert closed.closed_slots == 8  # 11:00 to 12:45
    with pytest.raises(DomainError) as refused:
        await book_at(services, day.leaving, 135)  # 11:15
    assert (http_status(refused.value), refused.value.code) == (409, "SLOT_CLOSED")
    assert (await book_at(services, day.leaving, 90)).appointment.scheduled_at == T0 + timedelta(
        minutes=90
    )
    # A cancelled place of a closed slot does not reopen it, and the CHECK still holds.
    await services.run(lambda s: booking.cancel(s, SYSTEM, ticket_id=held.id, now=T0))
    with pytest.raises(DomainError) as again:
        await book_at(services, day.leaving, 150)
    assert again.value.code == "SLOT_CLOSED"
    slot = await services.read(
        lambda s: s.scalar(select(Slot).where(Slot.starts_at == T0 + timedelta(minutes=150)))
    )
    assert slot is not None and (slot.capacity, slot.overbook_cap, slot.booked) == (0, 0, 0)


async def test_later_bookings_and_walk_ins_move_to_the_shared_queue(services: Services) -> None:
    day = await open_day(services)
    early = await book_at(services, day.leaving, 30)  # 09:30: the doctor still sees them
    late = await book_at(services, day.leaving, 135)  # 11:15
    waiting = await walk_in(services, day.leaving)
    closed = await close(services, day)
    assert set(closed.moved_ticket_ids) == {late.id, waiting.id}

    tickets = {
        t.id: t
        for t in await services.read(
            lambda s: s.scalars(
                select(Ticket).where(Ticket.id.in_([early.id, late.id, waiting.id]))
            )
        )
    }
    assert tickets[early.id].doctor_id == day.leaving.id
    for moved in (late, waiting):
        ticket = tickets[moved.id]
        assert ticket.doctor_id is None and ticket.room_id is None
        assert ticket.token == moved.token  # they keep their token and place rules
    assert tickets[late.id].appointment.scheduled_at == T0 + timedelta(minutes=135)

    # Another doctor of the department takes them from the shared queue.
    called = await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=day.staying.id, now=T0)
    )
    assert called.id == waiting.id and called.doctor_id == day.staying.id
    await services.run(lambda s: queue.check_in(s, SYSTEM, ticket_id=late.id, now=T0))
    await services.run(lambda s: queue.start(s, SYSTEM, ticket_id=called.id, now=T0))
    await services.run(lambda s: queue.complete(s, SYSTEM, ticket_id=called.id, now=T0))
    second = await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=day.staying.id, now=T0)
    )
    assert second.id == late.id


async def test_one_audit_row_and_a_message_per_affected_booking(services: Services) -> None:
    day = await open_day(services)
    late = await book_at(services, day.leaving, 135)
    silent = await book_at(services, day.leaving, 165, opted_out=True)
    await walk_in(services, day.leaving)  # at the desk: no message
    await close(services, day)

    rows = await services.read(
        lambda s: s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "session_closed"))
    )
    messages = list(rows)
    assert [m.appointment_id for m in messages] == [late.appointment_id]
    assert messages[0].channel == "sms"
    assert "had to leave early" in messages[0].body and late.token in messages[0].body
    assert silent.appointment_id not in {m.appointment_id for m in messages}
    audits = await services.read(
        lambda s: s.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "session.close")
        )
    )
    assert audits == 1
    stored = await services.read(lambda s: s.get(DoctorSession, day.session_id))
    assert stored is not None and stored.closed_early_at == ELEVEN


@pytest.mark.parametrize(
    ("at", "status", "code"),
    [
        (T0, 422, "CLOSE_OUTSIDE_SESSION"),  # the start itself is not after the start
        (T0 + timedelta(hours=5), 422, "CLOSE_OUTSIDE_SESSION"),
        (T0 + timedelta(hours=4), 200, ""),  # the session's own end is allowed
    ],
)
async def test_the_close_must_fall_within_the_session(
    services: Services, at: datetime, status: int, code: str
) -> None:
    day = await open_day(services)
    if status == 200:
        assert (await close(services, day, at)).closed_slots == 0
        return
    with pytest.raises(DomainError) as refused:
        await close(services, day, at)
    assert (http_status(refused.value), refused.value.code) == (status, code)


async def test_a_close_in_the_past_or_a_second_close_is_refused(services: Services) -> None:
    day = await open_day(services)

    async def at_noon_from(now: datetime) -> admin.EarlyClose:
        return await services.run(
            lambda s: admin.close_session_early(
                s, SYSTEM, session_id=day.session_id, at=ELEVEN, reason="x", now=now
            )
        )

    with pytest.raises(DomainError) as past:
        await at_noon_from(ELEVEN + timedelta(minutes=1))
    assert (http_status(past.value), past.value.code) == (422, "CLOSE_IN_PAST")
    await close(services, day)
    with pytest.raises(DomainError) as twice:
        await close(services, day)
    assert (http_status(twice.value), twice.value.code) == (409, "ALREADY_CLOSED")
    with pytest.raises(DomainError) as unknown:
        await services.run(
            lambda s: admin.close_session_early(
                s, SYSTEM, session_id=day.session_id + 999, at=ELEVEN, reason="x", now=T0
            )
        )
    assert (http_status(unknown.value), unknown.value.code) == (404, "SESSION_NOT_FOUND")


async def test_a_delay_is_audited_and_tells_every_patient_whose_wait_moves(
    services: Services,
) -> None:
    day = await open_day(services)
    booked = await book_at(services, day.leaving, 30)
    waiting = await walk_in(services, day.leaving)
    shared = await walk_in(services, day.leaving, chosen=False)  # the shared line moves too
    other = await walk_in(services, day.staying)  # another doctor's line does not move
    version = await plan_version(services, day)
    seen: list[QueueEvent] = []

    async def listen(events: Sequence[QueueEvent]) -> None:
        seen.extend(events)

    services.hub.subscribe(listen)
    row = await services.run(
        lambda s: admin.delay_session(
            s, SYSTEM, session_id=day.session_id, delay_minutes=25, now=T0
        )
    )

    assert row.delay_minutes == 25
    stored = await services.read(lambda s: s.get(DoctorSession, day.session_id))
    assert stored is not None and stored.delay_minutes == 25
    assert [(e.kind, e.ticket_id) for e in seen] == [
        (EventKind.SESSION_DELAYED, t) for t in sorted([booked.id, waiting.id, shared.id])
    ]
    assert other.id not in {e.ticket_id for e in seen}
    assert all(e.extra == {"session_id": day.session_id, "delay_minutes": 25} for e in seen)
    [audit_row] = await services.read(
        lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "session.delay"))
    )
    assert audit_row.details == {
        "session_id": day.session_id,
        "from_minutes": 0,
        "to_minutes": 25,
    }
    assert await plan_version(services, day) > version  # the plan made before no longer holds


async def test_a_delay_of_an_unknown_session_changes_nothing(services: Services) -> None:
    with pytest.raises(DomainError) as unknown:
        await services.run(
            lambda s: admin.delay_session(s, SYSTEM, session_id=999, delay_minutes=5, now=T0)
        )
    assert (http_status(unknown.value), unknown.value.code) == (404, "SESSION_NOT_FOUND")
    audits = await services.read(lambda s: s.scalar(select(func.count(AuditEvent.id))))
    assert audits == 0
