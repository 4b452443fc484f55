"""Allocation jobs: one day's overbooking allowances, and the nightly run over the days ahead."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from server.background.waitlist import request_offers
from server.scheduling import allocation
from server.services import Services

log = logging.getLogger(__name__)
# The nightly run re-allocates this many days, today included.
DAYS_AHEAD = 7


async def allocate_day(ctx: dict[str, Any], day: str) -> str:
    """Run the allocation model for one day and store each future slot's overbook cap."""
    services: Services = ctx["services"]
    policy = services.solver_settings.policy()
    caps = await allocation.allocate_day(services, date.fromisoformat(day), policy)
    allowed = sum(1 for cap in caps.values() if cap > 0)
    log.info("allocation for %s: %d slots may overbook, of %d", day, allowed, len(caps))
    if allowed:
        await request_offers(services)  # a raised allowance may be room for the waitlist
    return f"{allowed} of {len(caps)} slots may overbook"


async def allocate_upcoming(ctx: dict[str, Any]) -> int:
    """Queue the allocation of today and the days ahead (the nightly cron)."""
    services: Services = ctx["services"]
    days = allocation.upcoming(services.clock().date(), DAYS_AHEAD)
    for day in days:
        await allocation.request_allocation(services, day)
    return len(days)
