"""The waitlist's job: end offers nobody answered, offer each free place to the next in line."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import waitlist
from server.actions.waitlist import OfferRules
from server.events import EventKind, QueueEvent, Subscriber
from server.notify.compose import recipient
from server.notify.reminders import quiet_until
from server.notify.runtime import CONTEXT_KEY, Notifications
from server.notify.waitlist import tell_offer
from server.services import Services

log = logging.getLogger(__name__)
JOB = "offer_waitlist"  # one name and one coalescing key: runs never overlap
# A booking's place frees when it is cancelled or moved to another slot.
FREES_PLACE = frozenset({EventKind.CANCELLED, EventKind.RESCHEDULED})
# The rest free no booked place (a session closed early closes its slots; a no-show's slot is
# over). A test holds the two sets to every kind, so that a new kind is placed on purpose.
KEEPS_PLACES = frozenset(
    {
        EventKind.BOOKED,
        EventKind.WALK_IN,
        EventKind.CHECKED_IN,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.COMPLETED,
        EventKind.SKIPPED,
        EventKind.NO_SHOW,
        EventKind.REQUEUED,
        EventKind.TRANSFERRED,
        EventKind.EMERGENCY_INSERTED,
        EventKind.RESEQUENCED,
        EventKind.DESK_OPENED,
        EventKind.DESK_CLOSED,
        EventKind.SESSION_CLOSED,
        EventKind.SESSION_DELAYED,
        # Set-up edits and ended access free no booked place (a deactivated doctor with
        # bookings is refused until the desk moves them).
        EventKind.SETUP_CHANGED,
        EventKind.ACCESS_ENDED,
    }
)


def rules_of(services: Services) -> OfferRules:
    """Return the offer rules of the clinic's settings (CLINIC_WAITLIST_*)."""
    settings = services.settings
    return OfferRules(
        hold=timedelta(minutes=settings.waitlist_hold_min),
        notice=timedelta(minutes=settings.waitlist_notice_min),
    )


async def offer_waitlist(ctx: dict[str, Any]) -> int:
    """Job (cron, and after every change that frees a place): expire, then offer; return offers."""
    services: Services = ctx["services"]
    found = ctx.get(CONTEXT_KEY)
    notify = found if isinstance(found, Notifications) else None
    now = services.clock()
    rules = rules_of(services)
    # No offers at night: a two-hour hold would run out while the patient sleeps. The places
    # stay free and are offered when the quiet hours end.
    quiet = notify is not None and quiet_until(
        now, notify.composer.renderer.zone, notify.config.quiet_start, notify.config.quiet_end
    )

    async def work(db: AsyncSession) -> int:
        await waitlist.expire(db, now)
        if quiet:
            return 0
        made = await waitlist.offer_free_places(
            db,
            now,
            rules=rules,
            scorer=services.scorer,
            policy=services.overbooking,
            reachable=lambda patient: notify is None or recipient(patient) is not None,
        )
        wrote = False
        if notify is not None:
            for offer in made:
                wrote = await tell_offer(db, notify.composer, offer, now) or wrote
            if wrote:
                notify.deliver_after_commit(db)
        return len(made)

    made: int = await services.run(work)
    if made:
        log.info("waitlist: %d places offered", made)
    return made


async def request_offers(services: Services) -> None:
    """Ask for a waitlist run (coalesced with one already queued)."""
    await services.enqueue(JOB, key=JOB)


def subscriber(services: Services) -> Subscriber:
    """Return the after-commit subscriber that offers freed places to the waitlist."""

    async def on_commit(events: Sequence[QueueEvent]) -> None:
        if any(event.kind in FREES_PLACE for event in events):
            await request_offers(services)

    return on_commit
