"""Read a department's live queue from the database as the solver's plain input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.queries.live import doctors_today, live_tickets
from server.queries.priority import rules_of
from server.queue.state import TicketStatus
from server.scheduling import versions
from server.scheduling.planning import (
    midnight_of,
    minutes,
    plan_from_json,
    plan_to_json,
    pool_of,
    queue_state,
)
from server.solver.types import Plan, QueueState

__all__ = ["Reading", "minutes", "plan_from_json", "plan_to_json", "read_queue"]


@dataclass(frozen=True, slots=True)
class Reading:
    """The solver's input for one department-day, and the plan applied before."""

    state: QueueState
    previous: Plan | None
    midnight: datetime
    # The doctors "any doctor" patients may be planned on (stored with the plan).
    pool: tuple[int, ...] = ()


async def read_queue(
    db: AsyncSession,
    department_id: int,
    day: date,
    now: datetime,
    default_min: float,
    grace_min: float = 10.0,
) -> Reading | None:
    """Read the waiting tickets and working doctors; None when there is nothing to plan."""
    row = await versions.current(db, department_id, day, fresh=True)
    previous = plan_from_json(row.plan if row else None)
    tickets = await live_tickets(db, department_id, day)
    doctors = await doctors_today(db, department_id, day, tickets, now, default_min, grace_min)
    # A doctor who left early is out of the plan; their pinned tickets are open to all.
    present = [d for d in doctors if d.clock.can_start(0.0)]
    waiting = [t for t in tickets if t.appointment.status is TicketStatus.WAITING]
    if not present or not waiting:
        return None
    rules = await rules_of(db, waiting)
    state = queue_state(waiting, doctors, previous, row.version if row else 0, now, day, rules)
    return Reading(state, previous, midnight_of(day), pool_of(doctors))
