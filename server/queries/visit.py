"""A booked visit as its patient's phone page shows it: when, with whom, where, from when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Department, Doctor, DoctorSession, Room, Ticket


@dataclass(frozen=True, slots=True)
class Visit:
    """The appointment of a ticket: time, doctor, room, and when the desk takes check-ins."""

    department: str
    scheduled_at: datetime | None
    doctor: str | None
    room: str | None
    check_in_from: datetime | None


def check_in_from(scheduled_at: datetime | None, early_min: int) -> datetime | None:
    """Return when a booked patient should check in: `early_min` before their time."""
    return scheduled_at - timedelta(minutes=early_min) if scheduled_at is not None else None


async def visit_of(db: AsyncSession, ticket_id: int, early_min: int) -> Visit | None:
    """Return the visit of a ticket, with the room of the doctor's session at that time."""
    ticket = await db.get(Ticket, ticket_id)
    if ticket is None:
        return None
    appointment = ticket.appointment
    department = await db.get(Department, ticket.queue_department_id)
    doctor = await db.get(Doctor, ticket.doctor_id) if ticket.doctor_id else None
    room: str | None = None
    if ticket.room_id is not None:
        room = await db.scalar(select(Room.name).where(Room.id == ticket.room_id))
    elif doctor is not None and appointment.scheduled_at is not None:
        # The session's room if it has one (a doctor may work elsewhere that day), else theirs.
        room = await db.scalar(
            select(Room.name)
            .join(DoctorSession, DoctorSession.room_id == Room.id)
            .where(
                DoctorSession.doctor_id == doctor.id,
                DoctorSession.starts_at <= appointment.scheduled_at,
                DoctorSession.ends_at > appointment.scheduled_at,
            )
            .limit(1)
        )
        room = room or (doctor.room.name if doctor.room else None)
    return Visit(
        department=department.name if department else "",
        scheduled_at=appointment.scheduled_at,
        doctor=doctor.name if doctor else None,
        room=room,
        check_in_from=check_in_from(appointment.scheduled_at, early_min),
    )
