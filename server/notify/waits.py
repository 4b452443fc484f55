"""Who waits longer because of an emergency: the department's forecast with and without it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.queries.entries import entry_of
from server.queries.queues import doctors_today, live_tickets
from server.queue.forecast import forecast
from server.queue.order import QueueEntry, Urgency
from server.queue.state import TicketStatus


async def grown_waits(
    session: AsyncSession,
    department_id: int,
    day: date,
    emergency_ticket_id: int,
    now: datetime,
    default_min: float,
) -> dict[int, tuple[float, float]]:
    """Return {ticket_id: (wait before, wait now)} of the waiting tickets the emergency delays."""
    tickets = await live_tickets(session, department_id, day)
    clocks = [
        d.clock for d in await doctors_today(session, department_id, day, tickets, now, default_min)
    ]
    waiting = [t for t in tickets if t.appointment.status is TicketStatus.WAITING]
    assigned = {t.id: t.doctor_id for t in waiting}
    after = [entry_of(t) for t in waiting]
    before: list[QueueEntry] = []
    for ticket, entry in zip(waiting, after, strict=True):
        if ticket.id != emergency_ticket_id:
            before.append(entry)
        elif ticket.appointment.booked_at != now:
            # Escalated from the queue: before, it waited its turn (as routine, our best guess).
            before.append(replace(entry, urgency=Urgency.ROUTINE))
    was = {f.ticket_id: f.wait_min for f in forecast(before, assigned, clocks)}
    grown: dict[int, tuple[float, float]] = {}
    for place in forecast(after, assigned, clocks):
        old, new = was.get(place.ticket_id), place.wait_min
        if place.ticket_id != emergency_ticket_id and old is not None and new and new > old:
            grown[place.ticket_id] = (old, new)
    return grown
