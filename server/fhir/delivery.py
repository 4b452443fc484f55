"""Posting subscription notifications (rest-hook) with retries: the outbox's machinery, its own
transport and job; the job is registered as `deliver_fhir`."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from server.fhir.base import MEDIA
from server.fhir.notifications import CHANNEL
from server.fhir.settings import FhirSettings
from server.models import FhirSubscription, OutboxMessage
from server.notify.channels import PermanentError, TransientError
from server.notify.delivery import Report, deliver_due
from server.notify.settings import NotifySettings
from server.services import Services

JOB = "deliver_fhir"
RETRIED_STATUSES = frozenset({408, 425, 429})


class RestHook:
    """POST one notification to its subscription's endpoint (with its header)."""

    def __init__(self, services: Services, timeout_s: float) -> None:
        self.services, self.timeout_s = services, timeout_s
        self._http: aiohttp.ClientSession | None = None

    async def send(self, message: OutboxMessage) -> str | None:
        """Post the resource; 2xx is delivered, 4xx gives up, anything else retries."""
        subscription_id = int(message.subject)

        async def load(db: AsyncSession) -> FhirSubscription | None:
            return await db.get(FhirSubscription, subscription_id)

        subscription = await self.services.read(load)
        if subscription is None or subscription.status != "active":
            raise PermanentError(f"subscription {subscription_id} is no longer active")
        headers = {"Content-Type": MEDIA}
        if subscription.header:
            name, _, value = subscription.header.partition(": ")
            headers[name] = value
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        try:
            async with self._http.post(
                message.to_address,
                data=message.body.encode(),
                headers=headers,
                allow_redirects=False,
            ) as response:
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        if 200 <= status < 300:
            return None
        if 400 <= status < 500 and status not in RETRIED_STATUSES:
            raise PermanentError(f"the endpoint refused it: HTTP {status}")
        raise TransientError(f"the endpoint answered HTTP {status}")

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            await self._http.close()
            self._http = None


def delivery_config(settings: FhirSettings) -> NotifySettings:
    """Express the FHIR retry settings in the outbox runner's terms."""
    return NotifySettings(
        max_attempts=settings.max_attempts,
        backoff_base_s=settings.backoff_base_s,
        backoff_max_s=settings.backoff_max_s,
        send_timeout_s=settings.send_timeout_s,
    )


async def deliver_fhir(ctx: dict[str, Any]) -> Report:
    """Job: post every subscription notification that is due now."""
    services: Services = ctx["services"]
    settings = FhirSettings()
    hook = RestHook(services, settings.send_timeout_s)
    try:
        return await deliver_due(services, {CHANNEL: hook}, delivery_config(settings))
    finally:
        await hook.close()
