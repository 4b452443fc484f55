"""The "your turn moved" message: who a new plan puts well behind the plan they were shown."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.notify.compose import Composer
from server.notify.reminders import quiet_until
from server.scheduling import versions
from server.scheduling.planning import midnight_of, plan_from_json
from server.solver.types import Plan

# The transaction's moves are told once, after its last re-plan of a department-day.
TOLD = "moves_told"


def later_starts(
    before: Plan | None, after: Plan, threshold_min: float
) -> dict[int, tuple[int, int]]:
    """Return {ticket: (start before, start now)} of the tickets planned `threshold_min` later.

    Starts are minutes since the day's midnight: what the patient was told and what they are
    told now, whatever moved them (a late doctor, a long consultation, a re-plan).
    """
    if before is None:
        return {}
    was = {e.ticket_id: e.start_min for e in before.entries}
    return {
        e.ticket_id: (was[e.ticket_id], e.start_min)
        for e in after.entries
        if e.ticket_id in was and e.start_min - was[e.ticket_id] >= threshold_min
    }


async def tell_moved(
    db: AsyncSession,
    composer: Composer,
    *,
    ticket_id: int,
    later_by_min: float,
    expected_at: datetime,
    occasion: str,
    now: datetime,
) -> bool:
    """Queue one "your turn moved" message; nothing below the threshold or in quiet hours."""
    config = composer.config
    if later_by_min < config.moved_notice_min:
        return False
    if quiet_until(now, composer.renderer.zone, config.quiet_start, config.quiet_end):
        return False  # told in the morning it would be stale: the live page shows it
    return await composer.to_ticket(
        db,
        ticket_id,
        "moved",
        occasion,
        now,
        later_by_min=round(later_by_min),
        expected=composer.renderer.clock(expected_at),
    )


async def tell_moves(
    db: AsyncSession,
    composer: Composer,
    day: date,
    before: Plan | None,
    after: Plan,
    now: datetime,
) -> bool:
    """Tell every patient `after` moves well behind `before`; once per plan they were shown.

    The occasion is the version of the plan they were shown: whatever re-plans follow it (the
    action's own, the worker's CP-SAT one), a patient hears once about leaving that plan.
    """
    if before is None:
        return False
    midnight = midnight_of(day)
    wrote = False
    for ticket_id, (old, new) in later_starts(
        before, after, composer.config.moved_notice_min
    ).items():
        wrote = (
            await tell_moved(
                db,
                composer,
                ticket_id=ticket_id,
                later_by_min=new - old,
                expected_at=midnight + timedelta(minutes=new),
                occasion=f"plan{before.state_version}",
                now=now,
            )
            or wrote
        )
    return wrote


async def moves_in_transaction(
    db: AsyncSession, composer: Composer, department_id: int, day: date, now: datetime
) -> bool:
    """Compare the plan shown before this transaction with the one it stored, if it re-planned."""
    shown = db.info.get("shown_plans", {})
    if (department_id, day) not in shown:
        return False  # no re-plan in this transaction (a booking, a scheduler's own plan)
    row = await versions.current(db, department_id, day, fresh=True)
    after = plan_from_json(row.plan if row is not None else None)
    if after is None:
        return False
    told: set[tuple[int, date, int]] = db.info.setdefault(TOLD, set())
    key = (department_id, day, after.state_version)
    if key in told:
        return False
    told.add(key)
    return await tell_moves(
        db, composer, day, plan_from_json(shown[(department_id, day)]), after, now
    )
