"""Who waits longer because of an emergency: the plan before it and the plan with it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.scheduling import versions
from server.scheduling.planning import context_of, current_plan, plan_from_json, retime


async def grown_waits(
    db: AsyncSession,
    department_id: int,
    day: date,
    emergency_ticket_id: int,
    now: datetime,
    default_min: float,
) -> dict[int, tuple[float, float]]:
    """Return {ticket_id: (wait before, wait now)} of the waiting tickets the emergency delays."""
    # The plan the screens showed before this transaction re-planned the department.
    replaced = db.info.get("shown_plans", {})
    if (department_id, day) in replaced:
        shown = plan_from_json(replaced[(department_id, day)])
    else:
        row = await versions.current(db, department_id, day, fresh=True)
        shown = plan_from_json(row.plan if row is not None else None)
    plan = await current_plan(db, department_id, day, now, context_of(db, default_min))
    if shown is None:
        return {}
    was, _ = retime(shown, plan.doctors, {})
    grown: dict[int, tuple[float, float]] = {}
    for ticket_id, place in plan.places.items():
        old = was.get(ticket_id)
        if ticket_id != emergency_ticket_id and old is not None and place.wait_min > old.wait_min:
            grown[ticket_id] = (old.wait_min, place.wait_min)
    return grown
