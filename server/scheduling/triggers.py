"""Re-plan a department's day whenever something the plan assumed stops being true."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from server.events import EventKind, QueueEvent
from server.services import Services

# An emergency, a no-show, a skip, a cancellation, a walk-in, an arrival or a transfer.
TRIGGERS = frozenset(
    {
        EventKind.EMERGENCY_INSERTED,
        EventKind.NO_SHOW,
        EventKind.SKIPPED,
        EventKind.CANCELLED,
        EventKind.WALK_IN,
        EventKind.CHECKED_IN,
        EventKind.TRANSFERRED,
        EventKind.REQUEUED,
        EventKind.SESSION_DELAYED,  # a late doctor: the solver may give their shared patients away
    }
)
# The rest queue no worker re-plan: the line only moves up at its head, the ticket is not in it
# yet, the plan is the scheduler's own, or the plan made in the action's transaction is enough
# (a desk, a closed session). A test holds the two sets to every kind: a new one is placed.
NOT_TRIGGERS = frozenset(
    {
        EventKind.BOOKED,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.COMPLETED,
        EventKind.RESCHEDULED,
        EventKind.RESEQUENCED,
        EventKind.DESK_OPENED,
        EventKind.DESK_CLOSED,
        EventKind.SESSION_CLOSED,
        EventKind.SETUP_CHANGED,
        EventKind.ACCESS_ENDED,
    }
)
JOB = "resequence"


def job_key(department_id: int, day: date | str) -> str:
    """Name the coalescing key: one queued re-plan per department-day."""
    return f"{JOB}:{department_id}:{day}"


async def request_resequence(services: Services, department_id: int, day: date | str) -> None:
    """Queue a re-plan of one department-day (coalesced with any already queued)."""
    await services.enqueue(JOB, department_id, str(day), key=job_key(department_id, day))


def subscriber(services: Services):  # type: ignore[no-untyped-def]
    """Return the after-commit subscriber that turns trigger events into re-plans."""

    async def on_commit(events: Sequence[QueueEvent]) -> None:
        today = services.clock().date().isoformat()
        wanted = {
            (department, event.day)
            for event in events
            if event.kind in TRIGGERS and event.day == today
            for department in {event.department_id, event.previous_department_id}
            if department is not None
        }
        for department_id, day in sorted(wanted):
            await request_resequence(services, department_id, day)

    return on_commit
