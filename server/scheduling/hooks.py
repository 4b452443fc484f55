"""Plug the scheduler into a process's event hub (server or worker)."""

from __future__ import annotations

from server.background import waitlist
from server.scheduling import allocation, planning, triggers, versions
from server.services import Services


async def attach(services: Services) -> None:
    """Version every queue change in its transaction; re-plan, re-allocate, offer after commits."""
    services.hub.listen_in_transaction(versions.on_event)
    services.hub.listen_in_transaction(planning.on_event)
    services.hub.subscribe(triggers.subscriber(services))
    services.hub.subscribe(allocation.subscriber(services))
    services.hub.subscribe(waitlist.subscriber(services))  # a freed place goes to the waitlist
