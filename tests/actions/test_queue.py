"""Moving tickets through the queue, through the actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.actions.booking import SlotChoice
from server.api.errors import http_status
from server.auth.actor import SYSTEM, Actor
from server.errors import DomainError
from server.events import KIND_OF, EventKind
from server.models import AuditEvent, Department, Doctor, Role, Slot, Ticket
from server.queue.order import Urgency
from server.queue.state import TicketEvent, TicketStatus
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session


@dataclass
class Day:
    department: Department
    doctors: list[Doctor]


async def open_day(db: AsyncSession, doctors: int = 1) -> Day:
    department = await make_department(db)
    team = [await make_doctor(db, department) for _ in range(doctors)]
    for doctor in team:
        await make_session(db, doctor)
    return Day(department, team)


async def walk_in(db: AsyncSession, day: Day, **overrides: object) -> Ticket:
    patient = await make_patient(db)
    return await booking.register_walk_in(
        db, SYSTEM, patient_id=patient.id, department_id=day.department.id, now=T0, **overrides
    )  # type: ignore[arg-type]


def doctor_actor(doctor: Doctor) -> Actor:
    return Actor(user_id=None, role=Role.DOCTOR, name=doctor.name, doctor_id=doctor.id)


async def test_call_next_takes_the_head_of_the_queue_to_the_doctors_room(
    db: AsyncSession,
) -> None:
    day = await open_day(db)
    first, second = await walk_in(db, day), await walk_in(db, day)
    called = await queue.call_next(
        db, SYSTEM, doctor_id=day.doctors[0].id, now=T0 + timedelta(minutes=1)
    )
    assert called.id == first.id != second.id
    assert (
        called.appointment.status is TicketStatus.CALLED
        and called.room_id == day.doctors[0].room_id
    )
    assert called.doctor_id == day.doctors[0].id and called.call_count == 1


async def test_an_emergency_is_called_before_everyone_who_came_earlier(
    db: AsyncSession,
) -> None:
    day = await open_day(db)
    await walk_in(db, day)
    await walk_in(db, day, urgency=Urgency.URGENT)
    emergency = await queue.insert_emergency(
        db,
        SYSTEM,
        now=T0,
        department_id=day.department.id,
        patient_id=(await make_patient(db)).id,
        reason="chest pain",
    )
    called = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    assert called.id == emergency.id and called.appointment.urgency is Urgency.EMERGENCY


async def test_a_waiting_ticket_can_be_raised_to_emergency(db: AsyncSession) -> None:
    day = await open_day(db)
    await walk_in(db, day)
    later = await walk_in(db, day)
    await queue.insert_emergency(
        db, SYSTEM, now=T0, department_id=day.department.id, ticket_id=later.id
    )
    called = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    assert called.id == later.id


async def test_a_doctor_finishes_the_current_patient_before_calling_the_next(
    db: AsyncSession,
) -> None:
    day = await open_day(db)
    await walk_in(db, day)
    await walk_in(db, day)
    current = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    with pytest.raises(DomainError) as caught:
        await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    assert (
        caught.value.code == "DOCTOR_BUSY"
        and caught.value.details["current_token"] == current.token
    )


async def test_the_whole_visit_is_timed_and_audited(db: AsyncSession) -> None:
    day = await open_day(db)
    ticket = await walk_in(db, day)
    doctor = day.doctors[0].id
    await queue.call_next(db, SYSTEM, doctor_id=doctor, now=T0 + timedelta(minutes=1))
    await queue.recall(db, SYSTEM, ticket_id=ticket.id, now=T0 + timedelta(minutes=2))
    await queue.start(db, SYSTEM, ticket_id=ticket.id, now=T0 + timedelta(minutes=3))
    await queue.complete(db, SYSTEM, ticket_id=ticket.id, now=T0 + timedelta(minutes=13))
    a = ticket.appointment
    assert a.status is TicketStatus.COMPLETED and ticket.call_count == 2
    assert (a.called_at, a.started_at, a.completed_at) == (
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=13),
    )
    trail = (
        (
            await db.execute(
                select(AuditEvent.action, AuditEvent.from_status, AuditEvent.to_status)
                .where(AuditEvent.appointment_id == a.id)
                .order_by(AuditEvent.id)
            )
        )
        .tuples()
        .all()
    )
    assert trail == [
        ("walk_in", None, "waiting"),
        ("call", "waiting", "called"),
        ("recall", "called", "called"),
        ("start", "called", "in_consultation"),
        ("complete", "in_consultation", "completed"),
    ]


async def test_each_step_is_published_as_the_kind_of_its_state_machine_event(
    db: AsyncSession,
) -> None:
    day = await open_day(db, doctors=2)
    ticket = await walk_in(db, day)
    doctor = day.doctors[0].id
    steps = [
        lambda at: queue.call_next(db, SYSTEM, doctor_id=doctor, now=at),
        lambda at: queue.recall(db, SYSTEM, ticket_id=ticket.id, now=at),
        lambda at: queue.skip(db, SYSTEM, ticket_id=ticket.id, now=at),
        lambda at: queue.requeue(db, SYSTEM, ticket_id=ticket.id, now=at),
        lambda at: queue.transfer(
            db, SYSTEM, ticket_id=ticket.id, now=at, to_doctor_id=day.doctors[1].id
        ),
        lambda at: queue.insert_emergency(
            db,
            SYSTEM,
            now=at,
            department_id=day.department.id,
            ticket_id=ticket.id,
            doctor_id=day.doctors[1].id,
        ),
        lambda at: queue.call_next(db, SYSTEM, doctor_id=day.doctors[1].id, now=at),
        lambda at: queue.start(db, SYSTEM, ticket_id=ticket.id, now=at),
        lambda at: queue.complete(db, SYSTEM, ticket_id=ticket.id, now=at),
    ]
    for minute, step in enumerate(steps, start=1):
        await step(T0 + timedelta(minutes=minute))
    actions = (
        await db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.appointment_id == ticket.appointment_id)
            .order_by(AuditEvent.id)
        )
    ).all()
    events = [e for e in db.info["events"] if e.ticket_id == ticket.id]
    assert [e.kind for e in events] == [EventKind.WALK_IN] + [
        KIND_OF[TicketEvent(action)] for action in actions[1:]
    ]
    assert len(events) == len(steps) + 1
    recalled, requeued = events[2], events[4]
    assert recalled.extra == {"call_count": 2} and requeued.room is None


async def test_a_refused_transition_changes_nothing(db: AsyncSession) -> None:
    day = await open_day(db)
    ticket = await walk_in(db, day)
    audits = await db.scalar(select(func.count(AuditEvent.id)))
    with pytest.raises(DomainError) as caught:
        await queue.complete(db, SYSTEM, ticket_id=ticket.id, now=T0)
    assert (http_status(caught.value), caught.value.code) == (409, "INVALID_TRANSITION")
    assert caught.value.details == {"status": "waiting", "event": "complete"}
    assert (
        ticket.appointment.status is TicketStatus.WAITING
        and ticket.appointment.completed_at is None
    )
    assert await db.scalar(select(func.count(AuditEvent.id))) == audits


async def test_a_skipped_patient_who_turns_up_is_requeued(db: AsyncSession) -> None:
    day = await open_day(db)
    ticket = await walk_in(db, day)
    await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    await queue.skip(db, SYSTEM, ticket_id=ticket.id, now=T0, reason="no answer")
    await queue.requeue(db, SYSTEM, ticket_id=ticket.id, now=T0 + timedelta(minutes=5))
    assert ticket.appointment.status is TicketStatus.WAITING and ticket.room_id is None
    again = await queue.call_next(
        db, SYSTEM, doctor_id=day.doctors[0].id, now=T0 + timedelta(minutes=6)
    )
    assert again.id == ticket.id


async def test_two_doctors_share_the_department_queue_without_calling_the_same_patient(
    db: AsyncSession,
) -> None:
    day = await open_day(db, doctors=2)
    first, second = await walk_in(db, day), await walk_in(db, day)
    a = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    b = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[1].id, now=T0)
    assert {a.id, b.id} == {first.id, second.id}
    with pytest.raises(DomainError) as caught:
        await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    assert caught.value.code == "DOCTOR_BUSY"


async def test_an_empty_queue_says_so(db: AsyncSession) -> None:
    day = await open_day(db)
    with pytest.raises(DomainError) as caught:
        await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    assert caught.value.code == "QUEUE_EMPTY"


async def test_a_doctor_cannot_move_another_doctors_patient(db: AsyncSession) -> None:
    day = await open_day(db, doctors=2)
    await walk_in(db, day)
    ticket = await queue.call_next(db, SYSTEM, doctor_id=day.doctors[0].id, now=T0)
    with pytest.raises(DomainError) as caught:
        await queue.start(db, doctor_actor(day.doctors[1]), ticket_id=ticket.id, now=T0)
    assert http_status(caught.value) == 403
    with pytest.raises(DomainError):
        await queue.call_next(db, doctor_actor(day.doctors[1]), doctor_id=day.doctors[0].id, now=T0)


async def test_a_transferred_patient_keeps_the_token_and_waits_in_the_new_queue(
    db: AsyncSession,
) -> None:
    day, other = await open_day(db), await open_day(db)
    ticket = await walk_in(db, day)
    await queue.transfer(
        db,
        SYSTEM,
        ticket_id=ticket.id,
        now=T0,
        to_department_id=other.department.id,
        reason="cardiology",
    )
    assert (
        ticket.queue_department_id == other.department.id
        and ticket.appointment.transferred_at == T0
    )
    called = await queue.call_next(db, SYSTEM, doctor_id=other.doctors[0].id, now=T0)
    assert called.token == ticket.token


async def test_a_transfer_needs_a_target(db: AsyncSession) -> None:
    day = await open_day(db)
    ticket = await walk_in(db, day)
    with pytest.raises(DomainError) as caught:
        await queue.transfer(db, SYSTEM, ticket_id=ticket.id, now=T0)
    assert caught.value.code == "TRANSFER_TARGET_REQUIRED"


async def test_check_in_turns_a_booking_into_a_waiting_ticket_on_its_day_only(
    db: AsyncSession,
) -> None:
    day = await open_day(db)
    slot = await db.scalar(
        select(Slot).where(Slot.doctor_id == day.doctors[0].id).order_by(Slot.starts_at).limit(1)
    )
    assert slot is not None
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(slot.id),
        now=T0 - timedelta(days=2),
    )
    with pytest.raises(DomainError) as caught:
        await queue.check_in(db, SYSTEM, ticket_id=ticket.id, now=T0 - timedelta(days=1))
    assert caught.value.code == "WRONG_DAY"
    await queue.check_in(db, SYSTEM, ticket_id=ticket.id, now=T0 - timedelta(minutes=5))
    assert (
        ticket.appointment.status is TicketStatus.WAITING
        and ticket.arrived_at == T0 - timedelta(minutes=5)
    )


async def test_a_missing_ticket_is_a_404(db: AsyncSession) -> None:
    with pytest.raises(DomainError) as caught:
        await queue.start(db, SYSTEM, ticket_id=10**8, now=T0)
    assert (http_status(caught.value), caught.value.code) == (404, "TICKET_NOT_FOUND")
