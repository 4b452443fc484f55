"""Re-plan a department's queue: the greedy plan at once, CP-SAT's when it is better."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.notify.moves import tell_moves
from server.notify.runtime import CONTEXT_KEY, Notifications
from server.scheduling import versions
from server.scheduling.applying import Applied, apply
from server.scheduling.planning import plan_from_json
from server.scheduling.reading import Reading, read_queue
from server.services import Services
from server.solver import greedy_plan, improves, resequence
from server.solver.types import Plan

log = logging.getLogger(__name__)
# The queue changes under a plan now and then; under constant change, the next trigger re-plans.
STALE_TRIES = 3


async def resequence_queue(ctx: dict[str, Any], department_id: int, day: str) -> str:
    """Plan one department-day; a plan made stale by newer changes is solved again, not applied."""
    services: Services = ctx["services"]
    found = ctx.get(CONTEXT_KEY)
    notify = found if isinstance(found, Notifications) else None
    outcome = ""
    for _ in range(STALE_TRIES):
        outcome = await _plan(services, department_id, date.fromisoformat(day), notify)
        if outcome != Applied.STALE:
            break
    return outcome


async def _plan(
    services: Services, department_id: int, day: date, notify: Notifications | None
) -> str:
    policy = services.solver_settings.policy()
    now = services.clock()
    default_min = services.settings.default_consultation_min
    grace_min = services.settings.desk_grace_min
    reading: Reading | None = await services.read(
        lambda s: read_queue(s, department_id, day, now, default_min, grace_min)
    )
    if reading is None:
        return "nothing to plan"
    greedy = greedy_plan(reading.state, policy)
    shown = reading.previous
    first = Applied.NOT_BETTER  # the action already stored (and broadcast) this greedy plan
    if shown is None or shown.state_version != reading.state.state_version:
        first = await _apply(services, department_id, day, greedy, notify)
        if first == Applied.STALE:
            return first
    # CP-SAT releases the GIL: in a thread it never stalls the sockets of this process.
    best = await asyncio.to_thread(
        resequence, reading.state, policy, hint=greedy, seed=policy.random_seed
    )
    # Only a meaningful saving moves anyone (and costs the screens an update).
    if best.source != "cpsat" or not improves(greedy, best, policy):
        return first
    return await _apply(services, department_id, day, best, notify)


async def _apply(
    services: Services,
    department_id: int,
    day: date,
    plan: Plan,
    notify: Notifications | None,
) -> Applied:
    async def work(db: AsyncSession) -> Applied:
        now = services.clock()
        row = await versions.current(db, department_id, day, lock=True)
        shown = plan_from_json(row.plan if row is not None else None)
        applied = await apply(db, department_id, day, plan, now)
        # The worker's plan may put a patient well behind what their phone showed: tell them.
        told = (
            applied is Applied.APPLIED
            and notify is not None
            and await tell_moves(db, notify.composer, day, shown, plan, now)
        )
        if told and notify is not None:
            notify.deliver_after_commit(db)
        return applied

    outcome = await services.run(work)
    log.info(
        "plan %s for department %s on %s: %s (cost %.0f)",
        plan.source,
        department_id,
        day,
        outcome,
        plan.stats.objective,
    )
    return outcome
