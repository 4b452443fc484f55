"""The weekly rota's job: create the sessions the templates call for, N weeks ahead."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.actions import rotas
from server.auth.actor import SYSTEM
from server.services import Services

log = logging.getLogger(__name__)
# When the nightly run happens, in the clinic's local time (arq's cron and the embedded loop).
NIGHTLY_AT = time(2, 0)


async def create_rota_sessions(ctx: dict[str, Any]) -> int:
    """Job: create the next weeks' sessions from the templates; none twice."""
    services: Services = ctx["services"]
    rules = rotas.rules_of(services.settings)
    created = await services.run(
        lambda s: rotas.generate(s, SYSTEM, now=services.clock(), rules=rules)
    )
    log.info("rota: %d session(s) created up to %s", len(created), rules.last_day(services.clock()))
    return len(created)


def until_next(now: datetime, zone: ZoneInfo, at: time = NIGHTLY_AT) -> float:
    """Return the seconds from `now` to the next `at` in the clinic's local time."""
    local = now.astimezone(zone)
    day = local.date() if local.time() < at else local.date() + timedelta(days=1)
    target = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return max((target - now).total_seconds(), 1.0)


async def run_nightly_rota(services: Services) -> None:
    """Embedded mode's cron: fill the rota at start, then every night, until cancelled."""
    zone = ZoneInfo(services.settings.timezone)
    while True:
        try:
            await create_rota_sessions({"services": services})
        except Exception:
            log.exception("the nightly rota run failed; the next night tries again")
        await asyncio.sleep(until_next(datetime.now(UTC), zone))
