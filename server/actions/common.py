"""Pieces every action shares: loading with locks, audit rows, queue events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.actor import Actor
from server.errors import not_found
from server.events import EventKind, QueueEvent, record
from server.models import Appointment, AuditEvent, Room, Ticket
from server.queue.state import TicketEvent, TicketStatus, transition

STATUS_TIMESTAMP = {
    TicketStatus.WAITING: "checked_in_at",
    TicketStatus.CALLED: "called_at",
    TicketStatus.IN_CONSULTATION: "started_at",
    TicketStatus.COMPLETED: "completed_at",
    TicketStatus.SKIPPED: "skipped_at",
    TicketStatus.NO_SHOW: "no_show_at",
    TicketStatus.CANCELLED: "cancelled_at",
}


async def load_ticket(db: AsyncSession, ticket_id: int, *, lock: bool = True) -> Ticket:
    """Load a ticket with its appointment (joined), locking both rows for this transaction."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    ticket = (await db.scalars(query)).unique().one_or_none()
    if ticket is None:
        raise not_found("ticket", ticket_id)
    return ticket


def audit_row(
    actor: Actor,
    action: str,
    appointment: Appointment | None,
    *,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    now: datetime,
) -> AuditEvent:
    """Describe one audit row for the change being made."""
    return AuditEvent(
        at=now,
        actor_id=actor.user_id,
        action=action,
        appointment_id=appointment.id if appointment else None,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        reason=reason[:500],
        details=details or {},
    )


def audit(
    db: AsyncSession,
    actor: Actor,
    action: str,
    appointment: Appointment | None,
    *,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Add one audit row for the change being made (written with the transaction's flush)."""
    row = audit_row(
        actor,
        action,
        appointment,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details,
        now=now,
    )
    db.add(row)


def change_status(
    db: AsyncSession,
    actor: Actor,
    ticket: Ticket,
    event: TicketEvent,
    now: datetime,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> TicketStatus:
    """Move a ticket through the state machine, time-stamp it and audit it; refuse if it may not."""
    appointment = ticket.appointment
    before = appointment.status
    after = transition(before, event)  # refused: InvalidTransition, a Conflict
    appointment.status = after
    stamp = STATUS_TIMESTAMP.get(after)
    if stamp and after is not before:
        setattr(appointment, stamp, now)
    appointment.updated_at = now
    audit(
        db,
        actor,
        event.value,
        appointment,
        from_status=before,
        to_status=after,
        reason=reason,
        details=details,
        now=now,
    )
    return before


async def room_name(db: AsyncSession, room_id: int | None) -> str | None:
    """Return a room's display name."""
    if room_id is None:
        return None
    return await db.scalar(select(Room.name).where(Room.id == room_id))


async def publish(
    db: AsyncSession,
    kind: EventKind,
    ticket: Ticket,
    now: datetime,
    *,
    new_ticket: bool = False,
    **extra: Any,
) -> None:
    """Record a queue event for this ticket, sent to screens after commit."""
    appointment = ticket.appointment
    await record(
        db,
        QueueEvent(
            kind=kind,
            department_id=ticket.queue_department_id,
            day=ticket.day.isoformat(),
            ticket_id=ticket.id,
            token=ticket.token,
            status=appointment.status.value,
            urgency=appointment.urgency.value,
            doctor_id=ticket.doctor_id,
            room=await room_name(db, ticket.room_id),
            previous_doctor_id=extra.pop("previous_doctor_id", None),
            previous_department_id=extra.pop("previous_department_id", None),
            at=now.isoformat(),
            new_ticket=new_ticket,
            extra=extra,
        ),
    )
