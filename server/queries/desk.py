"""The desk's day of a department: who is expected, who may come back, vitals, sessions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import not_found
from server.events import iso
from server.models import Appointment, Department, Doctor, DoctorSession, Ticket, Vitals
from server.models.clinic import desk_open_on
from server.queue.state import TicketStatus

# Called but not found: the desk sends them back into the queue when they turn up.
RETURNING = (TicketStatus.SKIPPED, TicketStatus.NO_SHOW)
LIVE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)


def _row(ticket: Ticket) -> dict[str, Any]:
    appointment = ticket.appointment
    return {
        "ticket_id": ticket.id,
        "appointment_id": appointment.id,
        "token": ticket.token,
        "status": appointment.status.value,
        "doctor_id": ticket.doctor_id,
        "scheduled_at": iso(appointment.scheduled_at),
        "called_at": iso(appointment.called_at),
        "overbooked": appointment.overbooked,
        "patient": {
            "id": appointment.patient.id,
            "name": appointment.patient.full_name,
            "record_number": appointment.patient.record_number,
            "phone": appointment.patient.phone,
        },
    }


def session_out(row: DoctorSession) -> dict[str, Any]:
    """Show a doctor's session of the day: its hours, its delay, its early close."""
    return {
        "id": row.id,
        "doctor_id": row.doctor_id,
        "doctor_name": row.doctor.name,
        "starts_at": iso(row.starts_at),
        "ends_at": iso(row.ends_at),
        "delay_minutes": row.delay_minutes,
        "closed_early_at": iso(row.closed_early_at),
        # A doctor without a login cannot open their desk from the console: the desk does it.
        "doctor_has_login": row.doctor.user_id is not None,
        "desk_open": desk_open_on(row.doctor, row.day),
    }


async def desk_day(db: AsyncSession, department_id: int, day: date) -> dict[str, Any]:
    """Return a department-day as the desk runs it."""
    if await db.get(Department, department_id) is None:
        raise not_found("department", department_id)
    tickets = list(
        (
            await db.scalars(
                select(Ticket)
                .join(Appointment, Ticket.appointment_id == Appointment.id)
                .where(
                    Ticket.queue_department_id == department_id,
                    Ticket.day == day,
                    Appointment.status.in_((TicketStatus.BOOKED, *RETURNING, *LIVE)),
                )
            )
        )
        .unique()
        .all()
    )
    by_status: dict[TicketStatus, list[Ticket]] = {}
    for ticket in tickets:
        by_status.setdefault(ticket.appointment.status, []).append(ticket)
    expected = sorted(
        by_status.get(TicketStatus.BOOKED, []),
        key=lambda t: (t.appointment.scheduled_at is None, t.appointment.scheduled_at, t.id),
    )
    returning = sorted(
        (t for status in RETURNING for t in by_status.get(status, [])),
        key=lambda t: t.id,
    )
    live = [t.appointment_id for status in LIVE for t in by_status.get(status, [])]
    measured = (
        set(
            await db.scalars(
                select(Vitals.appointment_id).where(Vitals.appointment_id.in_(live)).distinct()
            )
        )
        if live
        else set()
    )
    sessions = await db.scalars(
        select(DoctorSession)
        .join(Doctor, DoctorSession.doctor_id == Doctor.id)
        .where(Doctor.department_id == department_id, DoctorSession.day == day)
        .order_by(DoctorSession.starts_at, Doctor.name)
    )
    return {
        "department_id": department_id,
        "day": day.isoformat(),
        "arrivals": [_row(t) for t in expected],
        "returning": [_row(t) for t in returning],
        "vitals_taken": sorted(measured),
        "sessions": [session_out(s) for s in sessions.unique()],
    }
