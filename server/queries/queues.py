"""Read models of the queues: department snapshots and one ticket's view, with waits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import not_found
from server.events import iso
from server.models import Appointment, Department, Doctor, DoctorSession, Room, Ticket
from server.queries.entries import entry_of
from server.queue.forecast import DoctorClock, Forecast, forecast
from server.queue.order import expected_duration, remaining_minutes
from server.queue.state import TicketStatus

LIVE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)
RECENT_DURATIONS = 20


@dataclass(frozen=True, slots=True)
class DoctorState:
    """A doctor at work today, with their room and current patient."""

    doctor: Doctor
    room: str | None
    clock: DoctorClock
    current: Ticket | None


async def live_tickets(session: AsyncSession, department_id: int, day: date) -> list[Ticket]:
    """Return the tickets of a department's queue that are waiting, called or being seen."""
    rows = await session.scalars(
        select(Ticket)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Ticket.queue_department_id == department_id,
            Ticket.day == day,
            Appointment.status.in_(LIVE),
        )
    )
    return list(rows.unique().all())


async def recent_durations(session: AsyncSession, doctor_id: int) -> list[float]:
    """Return the doctor's last consultation lengths in minutes."""
    rows = await session.execute(
        select(Appointment.started_at, Appointment.completed_at)
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.status == TicketStatus.COMPLETED,
            Appointment.started_at.is_not(None),
        )
        .order_by(Appointment.completed_at.desc())
        .limit(RECENT_DURATIONS)
    )
    return [(done - began).total_seconds() / 60 for began, done in rows if began and done]


async def doctors_today(
    session: AsyncSession,
    department_id: int,
    day: date,
    tickets: Sequence[Ticket],
    now: datetime,
    default_min: float,
) -> list[DoctorState]:
    """Return the department's doctors who have a session today, with their clocks."""
    rows = await session.execute(
        select(DoctorSession, Room.name)
        .join(Doctor, DoctorSession.doctor_id == Doctor.id)
        .outerjoin(Room, DoctorSession.room_id == Room.id)
        .where(
            Doctor.department_id == department_id, DoctorSession.day == day, Doctor.active.is_(True)
        )
        .order_by(Doctor.name, DoctorSession.starts_at)
    )
    states: dict[int, DoctorState] = {}
    for doctor_session, room in rows.unique():
        doctor = doctor_session.doctor
        if doctor.id in states:
            # Sessions come in start order: the day's last one says whether they leave early.
            states[doctor.id] = _leaving(states[doctor.id], doctor_session, now)
            continue
        current = next(
            (
                t
                for t in tickets
                if t.doctor_id == doctor.id
                and t.appointment.status in (TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)
            ),
            None,
        )
        per_patient = expected_duration(await recent_durations(session, doctor.id), default_min)
        started = current.appointment.started_at if current else None
        busy = remaining_minutes(started, now, per_patient) if current else 0.0
        if current is not None and started is None:
            busy = per_patient  # called, not yet in: a whole consultation ahead
        opens_in = (
            max((doctor_session.starts_at - now).total_seconds() / 60, 0.0)
            + doctor_session.delay_minutes
        )
        state = DoctorState(
            doctor=doctor,
            room=room,
            clock=DoctorClock(doctor.id, max(busy, opens_in), per_patient),
            current=current,
        )
        states[doctor.id] = _leaving(state, doctor_session, now)
    return list(states.values())


def _leaving(state: DoctorState, doctor_session: DoctorSession, now: datetime) -> DoctorState:
    """Set when the doctor leaves, from the early close of their session (if any)."""
    closed = doctor_session.closed_early_at
    leaves_in = (closed - now).total_seconds() / 60 if closed is not None else None
    return replace(state, clock=replace(state.clock, leaves_in_min=leaves_in))


def ticket_view(
    ticket: Ticket, place: Forecast | None, rooms: dict[int, str], *, names: bool
) -> dict[str, Any]:
    """Render one ticket; names only for screens of staff, never for boards."""
    appointment = ticket.appointment
    view: dict[str, Any] = {
        "ticket_id": ticket.id,
        "token": ticket.token,
        "status": appointment.status.value,
        "urgency": appointment.urgency.value,
        "source": appointment.source.value,
        "doctor_id": ticket.doctor_id,
        "room": rooms.get(ticket.room_id) if ticket.room_id else None,
        "position": place.position
        if place and appointment.status is TicketStatus.WAITING
        else None,
        "wait_min": place.wait_min
        if place and appointment.status is TicketStatus.WAITING
        else None,
        "expected_doctor_id": place.doctor_id if place else ticket.doctor_id,
        "arrived_at": iso(ticket.arrived_at),
        "scheduled_at": iso(appointment.scheduled_at),
        "called_at": iso(appointment.called_at),
        "call_count": ticket.call_count,
        "plan_rank": ticket.plan_rank,  # the scheduler's order within an urgency (None: none yet)
    }
    if names:
        view["patient"] = {
            "id": appointment.patient.id,
            "name": appointment.patient.full_name,
            "record_number": appointment.patient.record_number,
        }
        view["reason"] = appointment.reason
        view["appointment_id"] = appointment.id
    return view


async def department_snapshot(
    session: AsyncSession,
    department_id: int,
    day: date,
    now: datetime,
    *,
    names: bool,
    default_min: float = 10.0,
) -> dict[str, Any]:
    """Return everything a screen needs to draw a department's queues."""
    department = await session.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    tickets = await live_tickets(session, department_id, day)
    doctors = await doctors_today(session, department_id, day, tickets, now, default_min)
    waiting = [t for t in tickets if t.appointment.status is TicketStatus.WAITING]
    places = {
        f.ticket_id: f
        for f in forecast(
            [entry_of(t) for t in waiting],
            {t.id: t.doctor_id for t in waiting},
            [d.clock for d in doctors],
        )
    }
    rooms = dict(
        (
            await session.execute(
                select(Room.id, Room.name).where(Room.department_id == department_id)
            )
        )
        .tuples()
        .all()
    )
    ordered = sorted(
        tickets,
        key=lambda t: (
            t.appointment.status is TicketStatus.WAITING,
            places[t.id].wait_min if t.id in places else 0,
            t.id,
        ),
    )
    return {
        "department": {
            "id": department.id,
            "code": department.code,
            "name": department.name,
            "prefix": department.token_prefix,
        },
        "day": day.isoformat(),
        "generated_at": now.isoformat(),
        "doctors": [
            {
                "id": d.doctor.id,
                "name": d.doctor.name,
                "room": d.room,
                "per_patient_min": round(d.clock.per_patient_min, 1),
                "current": ticket_view(d.current, None, rooms, names=names) if d.current else None,
            }
            for d in doctors
        ],
        "tickets": [ticket_view(t, places.get(t.id), rooms, names=names) for t in ordered],
    }


async def ticket_snapshot(
    session: AsyncSession, ticket_id: int, now: datetime, default_min: float = 10.0
) -> dict[str, Any]:
    """Return one ticket as its patient sees it: status, position, wait, room."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    snapshot = await department_snapshot(
        session, ticket.queue_department_id, ticket.day, now, names=False, default_min=default_min
    )
    mine = next((t for t in snapshot["tickets"] if t["ticket_id"] == ticket_id), None)
    if mine is None:
        rooms = dict((await session.execute(select(Room.id, Room.name))).tuples().all())
        mine = ticket_view(ticket, None, rooms, names=False)
    return {
        "ticket": mine,
        "department": snapshot["department"],
        "day": snapshot["day"],
        "generated_at": snapshot["generated_at"],
    }


async def soonest_free_doctor(
    session: AsyncSession, department_id: int, now: datetime, default_min: float = 10.0
) -> int | None:
    """Return the department's working doctor who will be free first (None if nobody works)."""
    tickets = await live_tickets(session, department_id, now.date())
    doctors = await doctors_today(session, department_id, now.date(), tickets, now, default_min)
    present = [d for d in doctors if d.clock.can_start(d.clock.free_in_min)]
    if not present:
        return None
    return min(present, key=lambda d: (d.clock.free_in_min, d.doctor.id)).doctor.id
