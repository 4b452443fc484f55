"""The notifications of one process: made once, hooked into the event hub, closed at stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import after_commit
from server.events import QueueEvent
from server.notify.channels import Transport, make_transports
from server.notify.compose import Composer
from server.notify.listener import NotifyListener
from server.notify.render import Renderer
from server.notify.settings import NotifySettings
from server.state import ClinicState

log = logging.getLogger(__name__)
EXTRA = "notify"
ATTACHED = "notify_attached"
DELIVER_JOB = "deliver_outbox"


@dataclass
class Notifications:
    """Composer and transports of this process (one Twilio client per process)."""

    state: ClinicState
    config: NotifySettings
    composer: Composer
    _transports: dict[str, Transport] | None = field(default=None, repr=False)

    def transports(self) -> dict[str, Transport]:
        """Return the channel transports, made on first use inside the running loop."""
        if self._transports is None:
            self._transports = make_transports(self.state.settings, self.config)
        return self._transports

    async def kick(self) -> None:
        """Ask for a delivery run; runs of the same key coalesce."""
        await self.state.enqueue(DELIVER_JOB, key=DELIVER_JOB)

    def deliver_after_commit(self, session: AsyncSession) -> None:
        """Ask for delivery once `session`'s transaction commits (once per transaction)."""
        if not session.info.get("notify_kick"):
            session.info["notify_kick"] = True
            after_commit(session, self.kick)

    async def close(self) -> None:
        """Close the transports' connections."""
        if self._transports is not None:
            for transport in set(self._transports.values()):
                await transport.close()
            self._transports = None


def notifications(state: ClinicState) -> Notifications:
    """Return the process's notifications, made from the environment on first use."""
    found = state.extras.get(EXTRA)
    if isinstance(found, Notifications):
        return found
    return configure(state, NotifySettings())


def configure(state: ClinicState, config: NotifySettings) -> Notifications:
    """Make this process's notifications with `config` (replacing any made before)."""
    settings = state.settings
    made = Notifications(
        state=state,
        config=config,
        composer=Composer(settings, config, Renderer(settings.language, settings.timezone)),
    )
    state.extras[EXTRA] = made
    return made


async def attach(state: ClinicState) -> None:
    """Start hook: write messages with every action, and close the transports at stop."""
    if state.extras.get(ATTACHED):
        return
    state.extras[ATTACHED] = True
    notifications(state).transports()  # bad provider settings fail at start, not at a booking

    async def listen(session: AsyncSession, event: QueueEvent) -> None:
        runtime = notifications(state)
        await NotifyListener(runtime.composer, runtime.deliver_after_commit)(session, event)

    state.hub.listen_in_transaction(listen)
    state.extras.setdefault("on_stop", []).append(detach)


async def detach(state: ClinicState) -> None:
    """Stop hook: release the transports."""
    found = state.extras.get(EXTRA)
    if isinstance(found, Notifications):
        await found.close()
