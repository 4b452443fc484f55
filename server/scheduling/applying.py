"""Apply a plan to the queue, only if it was computed from the current state."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import publish
from server.models import QueuePlan, Ticket
from server.scheduling import versions
from server.scheduling.reading import plan_from_json, plan_to_json
from server.solver.plans import apply_plan_if_current, diff_plans
from server.solver.types import Plan


class Applied(StrEnum):
    """What became of a plan."""

    APPLIED = "applied"
    STALE = "stale"  # the queue changed while the solver worked: solve again
    NOT_BETTER = "not_better"  # a plan for this state already costs no more


def ranks(plan: Plan) -> dict[int, int]:
    """Rank every planned ticket by planned start: the order calls should follow."""
    ordered = sorted(plan.entries, key=lambda e: (e.start_min, e.position, e.doctor_id))
    return {entry.ticket_id: rank for rank, entry in enumerate(ordered, start=1)}


async def apply(
    session: AsyncSession, department_id: int, day: date, plan: Plan, now: datetime
) -> Applied:
    """Write the plan's order onto the tickets and announce it; refuse a stale plan."""
    row = await versions.current(session, department_id, day, lock=True)
    if row is None:
        row = QueuePlan(department_id=department_id, day=day, version=0, updated_at=now)
        session.add(row)
    if not apply_plan_if_current(plan, row.version):
        return Applied.STALE
    previous = plan_from_json(row.plan)
    if (
        previous
        and previous.state_version == plan.state_version
        and previous.stats.objective <= plan.stats.objective
    ):
        return Applied.NOT_BETTER
    order = ranks(plan)
    if order:
        await session.execute(
            update(Ticket)
            .where(Ticket.id.in_(order))
            .values(plan_rank=case(order, value=Ticket.id))
            .execution_options(synchronize_session=False)
        )
    row.plan, row.plan_version, row.updated_at = plan_to_json(plan), plan.state_version, now
    await _announce(session, plan, previous, now)
    return Applied.APPLIED


async def _announce(
    session: AsyncSession, plan: Plan, previous: Plan | None, now: datetime
) -> None:
    """Tell the screens once per plan; the event names the ticket moved first, if any."""
    moves = diff_plans(previous, plan)
    first = moves[0].ticket_id if moves else (plan.entries[0].ticket_id if plan.entries else None)
    if first is None:
        return
    ticket = await session.scalar(select(Ticket).where(Ticket.id == first))
    if ticket is not None:
        await publish(session, "resequenced", ticket, now, source=plan.source, moved=len(moves))
