"""Plug the scheduler into a process's event hub (server or worker)."""

from __future__ import annotations

from server.background import waitlist
from server.scheduling import allocation, planning, triggers, versions
from server.state import ClinicState


async def attach(state: ClinicState) -> None:
    """Version every queue change in its transaction; re-plan, re-allocate, offer after commits."""
    state.hub.listen_in_transaction(versions.on_event)
    state.hub.listen_in_transaction(planning.on_event)
    state.hub.subscribe(triggers.subscriber(state))
    state.hub.subscribe(allocation.subscriber(state))
    state.hub.subscribe(waitlist.subscriber(state))  # a freed place goes to the waitlist
