"""The FHIR endpoint's part of one process: its listener on the event hub and the retry tick."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from quart import current_app

from server.fhir.delivery import JOB
from server.fhir.notifications import FhirListener
from server.fhir.settings import FhirSettings
from server.fhir.subscriptions import ActiveCache
from server.services import Services

log = logging.getLogger(__name__)
EXTENSION = "clinic_fhir"  # the app's extension, beside "clinic" and "clinic_runtime"


@dataclass
class FhirRuntime:
    """Settings and the cache of active subscriptions of this process."""

    services: Services
    settings: FhirSettings
    cache: ActiveCache
    ticker: asyncio.Task[None] | None = None

    async def kick(self) -> None:
        """Ask for a delivery run; runs coalesce."""
        await self.services.enqueue(JOB, key=JOB)

    async def tick_forever(self) -> None:
        """Ask for a run every retry interval, so notifications waiting for a retry go out."""
        while True:
            await asyncio.sleep(self.settings.retry_interval_s)
            try:
                await self.kick()
            except Exception:
                log.warning("asking for a FHIR delivery run failed", exc_info=True)


def runtime(services: Services) -> FhirRuntime:
    """Return the serving app's FHIR runtime, made on first use."""
    found = current_app.extensions.get(EXTENSION)
    if isinstance(found, FhirRuntime):
        return found
    settings = FhirSettings()
    made = FhirRuntime(services, settings, ActiveCache(settings.subscription_cache_s))
    current_app.extensions[EXTENSION] = made
    return made


async def start(services: Services) -> None:
    """Serving starts: listen to every action; tick retries (not in tests, which drive them)."""
    found = runtime(services)
    services.hub.listen_in_transaction(FhirListener(found.cache, found.kick))
    if services.settings.mode != "test":
        found.ticker = asyncio.create_task(found.tick_forever())


async def stop(services: Services) -> None:
    """Serving stops: end the tick."""
    found = current_app.extensions.get(EXTENSION)
    if isinstance(found, FhirRuntime) and found.ticker is not None:
        found.ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await found.ticker
