"""A doctor opens or closes their desk: the plan counts only the doctors who are working."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.auth.actor import Actor
from server.errors import forbidden, not_found
from server.events import EventKind, QueueEvent, record
from server.models import Doctor, Role
from server.models.clinic import desk_open_on


def open_desk(
    db: AsyncSession,
    actor: Actor,
    doctor: Doctor,
    is_open: bool,
    now: datetime,
    reason: str = "",
) -> None:
    """Set the doctor's presence and audit it (part of the caller's action)."""
    doctor.desk_open, doctor.desk_since = is_open, now
    audit(
        db,
        actor,
        "desk.open" if is_open else "desk.close",
        None,
        reason=reason,
        details={"doctor_id": doctor.id},
        now=now,
    )


async def set_desk(
    db: AsyncSession, actor: Actor, *, doctor_id: int, is_open: bool, now: datetime
) -> Doctor:
    """Open or close a doctor's desk (doctors: their own); the department is re-planned."""
    if actor.role is Role.DOCTOR and actor.doctor_id != doctor_id:
        raise forbidden("doctors can only open or close their own desk")
    doctor = await db.scalar(select(Doctor).where(Doctor.id == doctor_id).with_for_update())
    if doctor is None:
        raise not_found("doctor", doctor_id)
    if desk_open_on(doctor, now.date()) == is_open and doctor.desk_since is not None:
        return doctor  # already so: nothing changes, nothing to tell
    open_desk(db, actor, doctor, is_open, now)
    # No ticket moves; the event bumps the department-day's version and re-plans it.
    await record(
        db,
        QueueEvent(
            kind=EventKind.DESK_OPENED if is_open else EventKind.DESK_CLOSED,
            department_id=doctor.department_id,
            day=now.date().isoformat(),
            ticket_id=0,
            token="",
            status="",
            urgency="",
            doctor_id=doctor.id,
            at=now.isoformat(),
            new_ticket=True,  # no ticket room to update
        ),
    )
    return doctor


def desk_out(doctor: Doctor, day: date) -> dict[str, object]:
    """Render a doctor's presence as the API answers it."""
    return {
        "doctor_id": doctor.id,
        "open": desk_open_on(doctor, day),
        "since": doctor.desk_since.isoformat() if doctor.desk_since else None,
    }
