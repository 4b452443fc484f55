"""Appointment and Encounter status changes into the outbox, in the action's own transaction.

A change that rolls back sends nothing; the rows go out later through the worker
(`delivery.py`) with retries, like the patients' messages (channel "fhir" in the same outbox).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import after_commit
from server.events import QueueEvent
from server.fhir import appointments, encounters
from server.fhir.base import Resource
from server.fhir.subscriptions import ActiveCache
from server.fhir.visits import as_visits, visits
from server.models import Source, Ticket
from server.notify import outbox
from server.notify.outbox import Draft

CHANNEL = "fhir"
# The event kinds that change an Appointment's FHIR status, and an Encounter's.
APPOINTMENT_KINDS = frozenset({"booked", "checked_in", "completed", "no_show", "cancelled"})
ENCOUNTER_KINDS = frozenset(
    {
        "booked",
        "walk_in",
        "checked_in",
        "started",
        "completed",
        "skipped",
        "requeued",
        "no_show",
        "cancelled",
    }
)
Kick = Callable[[], Awaitable[None]]


class FhirListener:
    """The hub's in-transaction listener: one outbox row per subscription a change matches."""

    def __init__(self, cache: ActiveCache, kick: Kick) -> None:
        self.cache, self.kick = cache, kick

    async def __call__(self, db: AsyncSession, event: QueueEvent) -> None:
        """Write the notifications `event` calls for; ask for delivery after commit."""
        if event.kind not in APPOINTMENT_KINDS | ENCOUNTER_KINDS:
            return
        active = await self.cache.get(db)
        if not active:
            return
        rows = await db.execute(visits().where(Ticket.id == event.ticket_id))
        found = as_visits(rows.tuples())
        if not found:
            return
        visit = found[0]
        changed: list[tuple[str, Resource]] = []
        if event.kind in APPOINTMENT_KINDS and visit.appointment.source is Source.ONLINE:
            changed.append(("Appointment", appointments.to_fhir(visit, None)))
        if event.kind in ENCOUNTER_KINDS:
            changed.append(("Encounter", encounters.to_fhir(visit)))
        wrote = False
        for kind, body in changed:
            for subscription in active:
                if subscription.wants(kind, body["status"]):
                    await outbox.add(
                        db,
                        _draft(subscription.id, subscription.endpoint, kind, body, event),
                        _at(event),
                    )
                    wrote = True
        if wrote and not db.info.get("fhir_kick"):
            db.info["fhir_kick"] = True
            after_commit(db, self.kick)


def _at(event: QueueEvent) -> datetime:
    return datetime.fromisoformat(event.at)


def _draft(
    subscription_id: int, endpoint: str, kind: str, body: Resource, event: QueueEvent
) -> Draft:
    return Draft(
        idem_key=f"fhir:{subscription_id}:{kind}:{body['id']}:{event.kind}:{event.at}",
        appointment_id=int(body["id"]),
        kind=f"fhir.{kind}",
        channel=CHANNEL,
        to_address=endpoint,
        subject=str(subscription_id),
        body=json.dumps(body, separators=(",", ":")),
    )
