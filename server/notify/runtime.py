"""The notifications of one process: made by the composition root, hooked into the event hub."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import after_commit
from server.events import QueueEvent
from server.notify.channels import Transport, make_transports
from server.notify.compose import Composer
from server.notify.listener import NotifyListener
from server.notify.render import Renderer
from server.notify.settings import NotifySettings
from server.services import Services

log = logging.getLogger(__name__)
DELIVER_JOB = "deliver_outbox"
# The key a job's context carries this process's notifications under (server/runtime.py).
CONTEXT_KEY = "notifications"


@dataclass
class Notifications:
    """Composer and transports of this process (one Twilio client per process)."""

    services: Services
    config: NotifySettings
    composer: Composer
    _transports: dict[str, Transport] | None = field(default=None, repr=False)
    _retired: list[Transport] = field(default_factory=list, repr=False)

    def transports(self) -> dict[str, Transport]:
        """Return the channel transports, made on first use inside the running loop."""
        if self._transports is None:
            self._transports = make_transports(self.services.settings, self.config)
        return self._transports

    def configure(self, config: NotifySettings) -> None:
        """Use `config` from now on (transports made before are closed with the rest)."""
        self.config, self.composer = config, _composer(self.services, config)
        if self._transports is not None:
            self._retired.extend(set(self._transports.values()))
            self._transports = None

    async def kick(self) -> None:
        """Ask for a delivery run; runs of the same key coalesce."""
        await request_delivery(self.services)

    def deliver_after_commit(self, db: AsyncSession) -> None:
        """Ask for delivery once `db`'s transaction commits (once per transaction)."""
        if not db.info.get("notify_kick"):
            db.info["notify_kick"] = True
            after_commit(db, self.kick)

    def attach(self) -> None:
        """Write messages with every action, in its transaction."""

        async def listen(db: AsyncSession, event: QueueEvent) -> None:
            await NotifyListener(self.composer, self.deliver_after_commit)(db, event)

        self.services.hub.listen_in_transaction(listen)

    async def close(self) -> None:
        """Close the transports' connections."""
        made = set(self._transports.values()) if self._transports is not None else set()
        for transport in made | set(self._retired):
            await transport.close()
        self._transports, self._retired = None, []


def _composer(services: Services, config: NotifySettings) -> Composer:
    settings = services.settings
    return Composer(settings, config, Renderer(settings.language, settings.timezone))


def make_notifications(services: Services, config: NotifySettings | None = None) -> Notifications:
    """Make a process's notifications with `config` (default: from the environment)."""
    config = config or NotifySettings()
    return Notifications(services=services, config=config, composer=_composer(services, config))


def notifications_of(ctx: dict[str, Any]) -> Notifications:
    """Return the notifications a job's context carries (put there by server/runtime.py)."""
    found = ctx.get(CONTEXT_KEY)
    if not isinstance(found, Notifications):
        raise RuntimeError("this job context has no notifications: build it with server.runtime")
    return found


async def request_delivery(services: Services) -> None:
    """Ask for a delivery run; runs of the same key coalesce."""
    await services.enqueue(DELIVER_JOB, key=DELIVER_JOB)
