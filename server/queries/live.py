"""Read a department-day's live tickets and its doctors' clocks and presence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Appointment, Doctor, DoctorSession, Room, Ticket
from server.queue.forecast import DoctorClock
from server.queue.order import expected_duration, remaining_minutes
from server.queue.state import TicketStatus

LIVE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)
BUSY = (TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)
RECENT_DURATIONS = 20


@dataclass(frozen=True, slots=True)
class DoctorState:
    """A doctor with a session today: room, current patient, clock and presence."""

    doctor: Doctor
    room: str | None
    clock: DoctorClock
    current: Ticket | None
    # The end of the day's last session (its early close, if any).
    ends_at: datetime
    # Opened their desk today and not closed it since.
    desk_open: bool = False
    # Closed their desk today after opening it: away until they open it again.
    desk_closed: bool = False
    # Never opened the desk today although their session began more than the grace ago.
    late: bool = False

    @property
    def away(self) -> bool:
        """Tell whether this doctor is not taking "any doctor" patients now."""
        return self.late or self.desk_closed or not self.clock.can_start(0.0)


async def live_tickets(db: AsyncSession, department_id: int, day: date) -> list[Ticket]:
    """Return the tickets of a department's queue that are waiting, called or being seen."""
    rows = await db.scalars(
        select(Ticket)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Ticket.queue_department_id == department_id,
            Ticket.day == day,
            Appointment.status.in_(LIVE),
        )
        .order_by(Ticket.id)
    )
    return list(rows.unique().all())


async def recent_durations(db: AsyncSession, doctor_id: int) -> list[float]:
    """Return the doctor's last consultation lengths in minutes, newest first."""
    rows = await db.execute(
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


def _opened_today(doctor: Doctor, day: date) -> bool:
    return doctor.desk_since is not None and doctor.desk_since.date() == day


async def doctors_today(
    db: AsyncSession,
    department_id: int,
    day: date,
    tickets: Sequence[Ticket],
    now: datetime,
    default_min: float,
    grace_min: float = 10.0,
) -> list[DoctorState]:
    """Return the department's doctors who have a session today, with clocks and presence."""
    rows = await db.execute(
        select(DoctorSession, Room.name)
        .join(Doctor, DoctorSession.doctor_id == Doctor.id)
        .outerjoin(Room, DoctorSession.room_id == Room.id)
        .where(
            Doctor.department_id == department_id, DoctorSession.day == day, Doctor.active.is_(True)
        )
        .order_by(Doctor.name, Doctor.id, DoctorSession.starts_at)
    )
    sessions: dict[int, list[tuple[DoctorSession, str | None]]] = {}
    for doctor_session, room in rows.unique():
        sessions.setdefault(doctor_session.doctor_id, []).append((doctor_session, room))
    states: list[DoctorState] = []
    for blocks in sessions.values():
        first, room_name = blocks[0]
        last = blocks[-1][0]
        doctor = first.doctor
        current = next(
            (t for t in tickets if t.doctor_id == doctor.id and t.appointment.status in BUSY),
            None,
        )
        recent = await recent_durations(db, doctor.id)
        per_patient = expected_duration(recent, default_min)
        started = current.appointment.started_at if current else None
        busy = remaining_minutes(started, now, per_patient, recent) if current else 0.0
        if current is not None and started is None:
            busy = per_patient  # called, not yet in: a whole consultation ahead
        begins = first.starts_at + timedelta(minutes=first.delay_minutes)
        opens_in = max((begins - now).total_seconds() / 60, 0.0)
        closed = last.closed_early_at
        leaves_in = (closed - now).total_seconds() / 60 if closed is not None else None
        opened_today = _opened_today(doctor, day)
        desk_open = doctor.desk_open and opened_today
        states.append(
            DoctorState(
                doctor=doctor,
                room=room_name,
                clock=DoctorClock(doctor.id, max(busy, opens_in), per_patient, leaves_in),
                current=current,
                ends_at=closed or last.ends_at,
                desk_open=desk_open,
                desk_closed=opened_today and not doctor.desk_open,
                late=not opened_today
                and current is None
                and now >= begins + timedelta(minutes=grace_min),
            )
        )
    return states
