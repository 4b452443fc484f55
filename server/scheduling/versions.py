"""Every change to a queue bumps its version, in the same transaction as the change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.events import EventKind, QueueEvent
from server.models import QueuePlan, utcnow

# Changes that leave the waiting line as it was: the scheduler's own plans, and bookings
# (a booked patient joins the line only when checked in).
# A session delay bumps once itself (even when nobody waits), not once per patient it moves.
UNCHANGED_LINE = frozenset(
    {
        EventKind.RESEQUENCED,
        EventKind.BOOKED,
        EventKind.RESCHEDULED,
        EventKind.SESSION_DELAYED,
        EventKind.ACCESS_ENDED,  # no queue's event (department 0)
    }
)
# Every other kind bumps: listed, and held to every kind by a test, so that a new kind is
# placed on purpose.
CHANGED_LINE = frozenset(
    {
        EventKind.WALK_IN,
        EventKind.CHECKED_IN,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.COMPLETED,
        EventKind.SKIPPED,
        EventKind.NO_SHOW,
        EventKind.REQUEUED,
        EventKind.CANCELLED,
        EventKind.TRANSFERRED,
        EventKind.EMERGENCY_INSERTED,
        EventKind.DESK_OPENED,
        EventKind.DESK_CLOSED,
        EventKind.SESSION_CLOSED,
        EventKind.SETUP_CHANGED,  # a doctor or room changed: the plan is made again
    }
)


async def bump(db: AsyncSession, department_id: int, day: date) -> None:
    """Increase a department-day's version (creating its row on first use)."""
    values = {"department_id": department_id, "day": day, "version": 1, "updated_at": utcnow()}
    if db.get_bind().dialect.name == "sqlite":
        sqlite_stmt = sqlite_insert(QueuePlan).values(values)
        sqlite_stmt = sqlite_stmt.on_conflict_do_update(
            index_elements=["department_id", "day"], set_={"version": QueuePlan.version + 1}
        )
        await db.execute(sqlite_stmt)
        return
    mysql_stmt = mysql_insert(QueuePlan).values(values)
    await db.execute(mysql_stmt.on_duplicate_key_update(version=QueuePlan.version + 1))


async def on_event(db: AsyncSession, event: QueueEvent) -> None:
    """In-transaction listener: the queues this event touched are now a newer state."""
    if event.kind in UNCHANGED_LINE:
        return
    day = date.fromisoformat(event.day)
    await bump(db, event.department_id, day)
    previous = event.previous_department_id
    if previous is not None and previous != event.department_id:
        await bump(db, previous, day)


async def current(
    db: AsyncSession,
    department_id: int,
    day: date,
    *,
    lock: bool = False,
    fresh: bool = False,
) -> QueuePlan | None:
    """Return the department-day's version row (locked when about to apply a plan).

    `fresh` re-reads a row the transaction already holds: a bump is a Core upsert.
    """
    query = select(QueuePlan).where(QueuePlan.department_id == department_id, QueuePlan.day == day)
    if lock:
        query = query.with_for_update()
    if lock or fresh:
        query = query.execution_options(populate_existing=True)
    return await db.scalar(query)
