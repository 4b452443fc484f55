"""Moving tickets through the queue: check in, call, start, complete and the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.booking import register_walk_in
from server.actions.common import change_status, load_ticket, publish
from server.actions.presence import open_desk
from server.actions.priority import give_category
from server.auth.actor import Actor
from server.errors import Conflict, Invalid, forbidden, not_found
from server.events import KIND_OF, EventKind
from server.models import Appointment, Department, Doctor, DoctorSession, Role, Ticket
from server.models.appointments import CheckinMethod
from server.models.clinic import desk_open_on
from server.queries.entries import entry_of
from server.queries.queues import call_line, soonest_free_doctor
from server.queue.checkin import minutes_late
from server.queue.order import Urgency, priority_order
from server.queue.state import TicketEvent, TicketStatus
from server.scheduling.planning import context_of, current_plan

BUSY = (TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)


async def load_doctor(db: AsyncSession, doctor_id: int) -> Doctor:
    """Load a doctor or raise DOCTOR_NOT_FOUND."""
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    return doctor


def check_own_queue(actor: Actor, doctor_id: int | None) -> None:
    """Let a doctor act only on their own patients (or the shared queue of their department)."""
    if actor.role is Role.DOCTOR and doctor_id is not None and actor.doctor_id != doctor_id:
        raise forbidden("doctors can only move patients in their own queue")


async def waiting_for_doctor(
    db: AsyncSession, doctor: Doctor, day: date, now: datetime
) -> list[Ticket]:
    """Return the tickets a doctor may call, in the current plan's order (then any others)."""
    tickets = (
        (
            await db.scalars(
                select(Ticket)
                .join(Appointment, Ticket.appointment_id == Appointment.id)
                .where(
                    Ticket.day == day,
                    Appointment.status == TicketStatus.WAITING,
                    or_(
                        Ticket.doctor_id == doctor.id,
                        and_(
                            Ticket.doctor_id.is_(None),
                            Ticket.queue_department_id == doctor.department_id,
                        ),
                    ),
                )
            )
        )
        .unique()
        .all()
    )
    by_id = {t.id: t for t in tickets}
    plan = await current_plan(db, doctor.department_id, day, now, context_of(db))
    planned = [by_id[t] for t in call_line(plan, doctor.id) if t in by_id]
    # Tickets the plan cannot place (none should be) come last, by priority.
    rest = [t for t in tickets if t not in planned]
    return planned + [by_id[e.ticket_id] for e in priority_order(entry_of(t) for t in rest)]


async def doctor_room(db: AsyncSession, doctor: Doctor, day: date) -> int | None:
    """Return the room of the doctor's session today, else their usual room."""
    room_id = await db.scalar(
        select(DoctorSession.room_id)
        .where(DoctorSession.doctor_id == doctor.id, DoctorSession.day == day)
        .order_by(DoctorSession.starts_at)
        .limit(1)
    )
    return room_id if room_id is not None else doctor.room_id


async def _refuse_if_busy(db: AsyncSession, doctor: Doctor, day: date) -> None:
    current = await db.scalar(
        select(Ticket.token)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(Ticket.doctor_id == doctor.id, Ticket.day == day, Appointment.status.in_(BUSY))
        .limit(1)
    )
    if current is not None:
        raise Conflict(
            "DOCTOR_BUSY",
            f"finish, skip or mark {current} first",
            {"current_token": current},
        )


async def call_next(db: AsyncSession, actor: Actor, *, doctor_id: int, now: datetime) -> Ticket:
    """Call the head of the doctor's queue to their room."""
    check_own_queue(actor, doctor_id)
    doctor = await load_doctor(db, doctor_id)
    await _refuse_if_busy(db, doctor, now.date())
    for candidate in await waiting_for_doctor(db, doctor, now.date(), now):
        # Claim it with a guarded UPDATE: another doctor sharing the queue may take it first.
        claimed = await db.execute(
            update(Appointment)
            .where(
                Appointment.id == candidate.appointment_id,
                Appointment.status == TicketStatus.WAITING,
            )
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return await _call(db, actor, candidate.id, doctor, now)
    raise Conflict("QUEUE_EMPTY", "nobody is waiting for this doctor")


async def call_ticket(
    db: AsyncSession, actor: Actor, *, ticket_id: int, doctor_id: int, now: datetime
) -> Ticket:
    """Call one particular waiting ticket out of order."""
    check_own_queue(actor, doctor_id)
    doctor = await load_doctor(db, doctor_id)
    await _refuse_if_busy(db, doctor, now.date())
    return await _call(db, actor, ticket_id, doctor, now)


async def _call(
    db: AsyncSession, actor: Actor, ticket_id: int, doctor: Doctor, now: datetime
) -> Ticket:
    ticket = await load_ticket(db, ticket_id)
    if (
        ticket.doctor_id not in (None, doctor.id)
        or ticket.queue_department_id != doctor.department_id
    ):
        raise forbidden("that ticket waits for another doctor")
    change_status(db, actor, ticket, TicketEvent.CALL, now, details={"doctor_id": doctor.id})
    if not desk_open_on(doctor, now.date()):
        # A doctor who calls is at their desk: calling opens it.
        open_desk(db, actor, doctor, True, now, reason="opened by a call")
    ticket.doctor_id = doctor.id
    ticket.room_id = await doctor_room(db, doctor, now.date())
    ticket.call_count += 1
    await publish(db, KIND_OF[TicketEvent.CALL], ticket, now)
    return ticket


async def _step(
    db: AsyncSession,
    actor: Actor,
    ticket_id: int,
    event: TicketEvent,
    now: datetime,
    reason: str = "",
    then: Callable[[Ticket], dict[str, Any]] | None = None,
) -> Ticket:
    """Move one of the actor's tickets by `event`; publish the kind that event stands for.

    `then` makes the step's own changes before the event is recorded; it returns the event's extras.
    """
    ticket = await load_ticket(db, ticket_id)
    check_own_queue(actor, ticket.doctor_id)
    change_status(db, actor, ticket, event, now, reason=reason)
    extra = then(ticket) if then is not None else {}
    await publish(db, KIND_OF[event], ticket, now, **extra)
    return ticket


async def recall(db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime) -> Ticket:
    """Call the same patient again (board and speech repeat the call)."""

    def again(ticket: Ticket) -> dict[str, Any]:
        ticket.call_count += 1
        ticket.appointment.called_at = now
        return {"call_count": ticket.call_count}

    return await _step(db, actor, ticket_id, TicketEvent.RECALL, now, then=again)


async def start(db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime) -> Ticket:
    """The patient came in: the consultation starts."""
    return await _step(db, actor, ticket_id, TicketEvent.START, now)


async def complete(db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime) -> Ticket:
    """The consultation is over."""
    return await _step(db, actor, ticket_id, TicketEvent.COMPLETE, now)


async def skip(
    db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime, reason: str = ""
) -> Ticket:
    """The called patient did not come; they may be requeued when they turn up."""
    return await _step(db, actor, ticket_id, TicketEvent.SKIP, now, reason)


async def mark_no_show(
    db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime, reason: str = ""
) -> Ticket:
    """Record that the patient never came."""
    return await _step(db, actor, ticket_id, TicketEvent.NO_SHOW, now, reason)


async def requeue(
    db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime, reason: str = ""
) -> Ticket:
    """Put a called, skipped or no-show ticket back in the queue."""

    def back(ticket: Ticket) -> dict[str, Any]:
        ticket.room_id = None
        ticket.arrived_at = now
        return {}

    return await _step(db, actor, ticket_id, TicketEvent.REQUEUE, now, reason, then=back)


async def check_in(
    db: AsyncSession,
    actor: Actor,
    *,
    ticket_id: int,
    now: datetime,
    method: CheckinMethod = CheckinMethod.DESK,
    late_after_min: int | None = None,
    details: dict[str, Any] | None = None,
    priority_category_id: int | None = None,
) -> Ticket:
    """The booked patient has arrived: they start waiting (in a priority category if given).

    More than `late_after_min` past the appointment time (None: never) the check-in is late:
    its minutes are kept, and the plan fits the patient in from their arrival.
    """
    ticket = await load_ticket(db, ticket_id)
    if ticket.day != now.date():
        raise Conflict(
            "WRONG_DAY",
            f"this booking is for {ticket.day.isoformat()}",
            {"day": ticket.day.isoformat()},
        )
    appointment = ticket.appointment
    late = minutes_late(appointment.scheduled_at, now)
    late_min = late if late_after_min is not None and late > late_after_min else None
    await give_category(db, appointment, priority_category_id)
    extra = {**(details or {}), "method": method.value, "late_min": late_min}
    if priority_category_id is not None:
        extra["priority_category_id"] = priority_category_id
    change_status(db, actor, ticket, TicketEvent.CHECK_IN, now, details=extra)
    ticket.arrived_at = now
    appointment.checkin_method, appointment.late_min = method, late_min
    await publish(
        db, KIND_OF[TicketEvent.CHECK_IN], ticket, now, method=method.value, late_min=late_min
    )
    return ticket


async def transfer(
    db: AsyncSession,
    actor: Actor,
    *,
    ticket_id: int,
    now: datetime,
    to_doctor_id: int | None = None,
    to_department_id: int | None = None,
    reason: str = "",
) -> Ticket:
    """Send a patient to another doctor's or department's queue; they keep their token."""
    ticket = await load_ticket(db, ticket_id)
    check_own_queue(actor, ticket.doctor_id)
    department_id = await _transfer_target(db, to_doctor_id, to_department_id)
    previous = {
        "previous_doctor_id": ticket.doctor_id,
        "previous_department_id": ticket.queue_department_id,
    }
    change_status(
        db,
        actor,
        ticket,
        TicketEvent.TRANSFER,
        now,
        reason=reason,
        details={**previous, "to_doctor_id": to_doctor_id, "to_department_id": department_id},
    )
    ticket.doctor_id, ticket.queue_department_id, ticket.room_id = to_doctor_id, department_id, None
    ticket.appointment.transferred_at = now
    await publish(
        db,
        KIND_OF[TicketEvent.TRANSFER],
        ticket,
        now,
        previous_doctor_id=previous["previous_doctor_id"],
        previous_department_id=previous["previous_department_id"],
    )
    return ticket


async def _transfer_target(
    db: AsyncSession, to_doctor_id: int | None, to_department_id: int | None
) -> int:
    if to_doctor_id is not None:
        doctor = await load_doctor(db, to_doctor_id)
        if to_department_id not in (None, doctor.department_id):
            raise Invalid("DOCTOR_NOT_IN_DEPARTMENT", f"{doctor.name} works in another department")
        return doctor.department_id
    if to_department_id is None:
        raise Invalid("TRANSFER_TARGET_REQUIRED", "give to_doctor_id or to_department_id")
    if await db.get(Department, to_department_id) is None:
        raise not_found("department", to_department_id)
    return to_department_id


async def insert_emergency(
    db: AsyncSession,
    actor: Actor,
    *,
    now: datetime,
    department_id: int,
    patient_id: int | None = None,
    ticket_id: int | None = None,
    doctor_id: int | None = None,
    reason: str = "",
) -> Ticket:
    """Put an emergency at the head of a queue: a new patient, or one already waiting.

    Without a doctor named, it goes to the department's doctor who will be free first.
    """
    if await db.get(Department, department_id) is None:
        raise not_found("department", department_id)
    if doctor_id is None:
        doctor_id = await soonest_free_doctor(db, department_id, now)
    elif (await load_doctor(db, doctor_id)).department_id != department_id:
        raise Invalid("DOCTOR_NOT_IN_DEPARTMENT", "that doctor works in another department")
    if ticket_id is None:
        if patient_id is None:
            raise Invalid("PATIENT_REQUIRED", "give patient_id for a new emergency, or ticket_id")
        return await register_walk_in(
            db,
            actor,
            patient_id=patient_id,
            department_id=department_id,
            now=now,
            doctor_id=doctor_id,
            urgency=Urgency.EMERGENCY,
            reason=reason,
            kind=EventKind.EMERGENCY_INSERTED,
        )
    ticket = await load_ticket(db, ticket_id)
    if ticket.queue_department_id != department_id:
        raise Invalid("WRONG_DEPARTMENT", "that ticket waits in another department")
    change_status(db, actor, ticket, TicketEvent.ESCALATE, now, reason=reason)
    ticket.appointment.urgency = Urgency.EMERGENCY
    if doctor_id is not None:
        ticket.doctor_id = doctor_id
    await publish(db, KIND_OF[TicketEvent.ESCALATE], ticket, now)
    return ticket
