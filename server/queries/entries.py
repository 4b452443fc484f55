"""Describe a ticket for the pure ordering functions."""

from __future__ import annotations

from collections.abc import Mapping

from server.models import Ticket
from server.queue.order import QueueEntry


def entry_of(ticket: Ticket, weights: Mapping[int, int] | None = None) -> QueueEntry:
    """Describe a ticket for the ordering function (`weights`: by priority category id)."""
    appointment = ticket.appointment
    category = appointment.priority_category_id
    return QueueEntry(
        ticket_id=ticket.id,
        urgency=appointment.urgency,
        arrived_at=ticket.arrived_at or appointment.booked_at,
        scheduled_at=appointment.scheduled_at,
        plan_rank=ticket.plan_rank,
        priority_weight=(weights or {}).get(category, 1) if category is not None else 1,
    )
