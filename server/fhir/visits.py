"""Loading tickets with what the Appointment and Encounter resources show, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, exists, select

from server.models import Appointment, Slot, Ticket, Vitals


@dataclass(frozen=True, slots=True)
class Visit:
    """A ticket with its appointment (joined), its slot's end, whether vitals were taken."""

    ticket: Ticket
    slot_ends_at: datetime | None
    vitals: bool

    @property
    def appointment(self) -> Appointment:
        """Return the appointment the ticket belongs to."""
        return self.ticket.appointment


def visits() -> Select[Any]:
    """Select tickets with their slot's end and whether vitals exist (filter and page after)."""
    statement = (
        select(
            Ticket,
            Slot.ends_at,
            exists().where(Vitals.appointment_id == Appointment.id).label("vitals"),
        )
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
    )
    return cast(Select[Any], statement)  # one shape for every resource type's search


def as_visits(rows: Iterable[Any]) -> list[Visit]:
    """Wrap selected rows."""
    return [Visit(ticket, ends, bool(vitals)) for ticket, ends, vitals in rows]
