"""Apply a plan to the queue, only if it was computed from the current state."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import publish
from server.events import EventKind
from server.models import QueuePlan, Ticket
from server.queries.live import live_tickets
from server.scheduling import versions
from server.scheduling.planning import explain, plan_from_json, plan_to_json, ranks
from server.solver.plans import apply_plan_if_current, diff_plans
from server.solver.types import Plan


class Applied(StrEnum):
    """What became of a plan."""

    APPLIED = "applied"
    STALE = "stale"  # the queue changed while the solver worked: solve again
    NOT_BETTER = "not_better"  # a plan for this state already costs no more


async def apply(
    db: AsyncSession, department_id: int, day: date, plan: Plan, now: datetime
) -> Applied:
    """Write the plan's order onto the tickets and announce it; refuse a stale plan."""
    row = await versions.current(db, department_id, day, lock=True)
    if row is None:
        row = QueuePlan(department_id=department_id, day=day, version=0, updated_at=now)
        db.add(row)
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
        await db.execute(
            update(Ticket)
            .where(Ticket.id.in_(order))
            .values(plan_rank=case(order, value=Ticket.id))
            .execution_options(synchronize_session=False)
        )
    tickets = {t.id: t for t in await live_tickets(db, department_id, day)}
    reasons = explain(previous, plan, tickets, ())
    pool = (row.plan or {}).get("pool", ())
    row.plan, row.plan_version, row.updated_at = (
        plan_to_json(plan, reasons, pool),
        plan.state_version,
        now,
    )
    await _announce(db, plan, previous, now)
    return Applied.APPLIED


async def _announce(db: AsyncSession, plan: Plan, previous: Plan | None, now: datetime) -> None:
    """Tell the screens once per plan; the event names the ticket moved first, if any."""
    # Only a new order is news: the same places at other minutes change no screen's order,
    # and screens re-time the plan themselves on every read.
    moves = [
        m
        for m in diff_plans(previous, plan)
        if (m.old_doctor_id, m.old_position) != (m.new_doctor_id, m.new_position)
    ]
    if previous is not None and not moves:
        return
    first = moves[0].ticket_id if moves else (plan.entries[0].ticket_id if plan.entries else None)
    if first is None:
        return
    ticket = await db.scalar(select(Ticket).where(Ticket.id == first))
    if ticket is not None:
        await publish(db, EventKind.RESEQUENCED, ticket, now, source=plan.source, moved=len(moves))
