"""Time-driven notification work: reminders, delivery runs, and notices of big moves."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.notify.delivery import Report, deliver_due
from server.notify.moves import tell_moved
from server.notify.reminders import queue_due_reminders
from server.notify.runtime import CONTEXT_KEY, Notifications, notifications_of
from server.services import Services

log = logging.getLogger(__name__)
# The waitlist's periodic job, by its name in the job registry (server/background/registry.py).
WAITLIST_JOB = "offer_waitlist"


async def deliver_outbox(ctx: dict[str, Any]) -> Report:
    """Job: send every message that is due now."""
    services: Services = ctx["services"]
    runtime = notifications_of(ctx)
    return await deliver_due(services, runtime.transports(), runtime.config)


async def send_due_reminders(ctx: dict[str, Any]) -> int:
    """Job (cron): write the reminders due now, then start delivery if there are any."""
    services: Services = ctx["services"]
    runtime = notifications_of(ctx)
    now = services.clock()
    count = await services.run(lambda s: queue_due_reminders(s, runtime.composer, now))
    if count:
        await runtime.kick()
    return count


async def notify_moved(
    db: AsyncSession,
    runtime: Notifications,
    *,
    ticket_id: int,
    later_by_min: float,
    expected_at: datetime,
    occasion: str,
    now: datetime,
) -> bool:
    """Tell a patient the scheduler moved them back a lot; call inside the move's transaction.

    `occasion` names the move (for example the plan's revision) so that a retry of the same
    move never sends twice. Moves below the configured threshold, and quiet hours, send nothing.
    """
    wrote = await tell_moved(
        db,
        runtime.composer,
        ticket_id=ticket_id,
        later_by_min=later_by_min,
        expected_at=expected_at,
        occasion=occasion,
        now=now,
    )
    if wrote:
        runtime.deliver_after_commit(db)
    return wrote


async def run_scheduler(runtime: Notifications) -> None:
    """Embedded mode's cron: reminders and retries every scheduler_interval_s, until cancelled."""
    ctx = job_context(runtime)
    while True:
        try:
            await send_due_reminders(ctx)
            # Waitlist offers that ran out go to the next patient (server/background/waitlist.py).
            await runtime.services.enqueue(WAITLIST_JOB, key=WAITLIST_JOB)
            await runtime.kick()  # picks up retries whose backoff has run out
        except Exception:
            log.exception("notification scheduler tick failed")
        await asyncio.sleep(runtime.config.scheduler_interval_s)


def job_context(runtime: Notifications) -> dict[str, Any]:
    """Return the context the notification jobs read: the services and these notifications."""
    return {"services": runtime.services, CONTEXT_KEY: runtime}
