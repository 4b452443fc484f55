"""Describe a ticket for the pure ordering functions."""

from __future__ import annotations

from server.models import Ticket
from server.queue.order import QueueEntry


def entry_of(ticket: Ticket) -> QueueEntry:
    """Describe a ticket for the ordering function."""
    appointment = ticket.appointment
    return QueueEntry(
        ticket_id=ticket.id,
        urgency=appointment.urgency,
        arrived_at=ticket.arrived_at or appointment.booked_at,
        scheduled_at=appointment.scheduled_at,
        plan_rank=ticket.plan_rank,
    )
