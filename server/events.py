"""Domain events: recorded inside a transaction, delivered only after it commits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import after_commit
from server.queue.state import TicketEvent

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    """What a queue event says happened: one per action that changes a queue."""

    BOOKED = "booked"
    WALK_IN = "walk_in"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    NO_SHOW = "no_show"
    REQUEUED = "requeued"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    TRANSFERRED = "transferred"
    EMERGENCY_INSERTED = "emergency_inserted"
    RESEQUENCED = "resequenced"
    DESK_OPENED = "desk_opened"
    DESK_CLOSED = "desk_closed"
    SESSION_CLOSED = "session_closed"
    SESSION_DELAYED = "session_delayed"
    # The set-up changed a department's doctors, rooms or name: its screens redraw.
    SETUP_CHANGED = "setup_changed"
    # A display's key or a user's logins ended: the sockets they opened are disconnected. Not a
    # queue's event: department_id is 0 and `extra` names the display_id or user_id.
    ACCESS_ENDED = "access_ended"


# The kind each step of the state machine publishes (a new TicketEvent needs its kind here: a
# test holds the table total). Kinds that are no transition: booked, walk_in, rescheduled,
# resequenced, desk_opened, desk_closed, session_closed, setup_changed, access_ended.
KIND_OF: Mapping[TicketEvent, EventKind] = MappingProxyType(
    {
        TicketEvent.CHECK_IN: EventKind.CHECKED_IN,
        TicketEvent.CALL: EventKind.CALLED,
        TicketEvent.RECALL: EventKind.RECALLED,
        TicketEvent.START: EventKind.STARTED,
        TicketEvent.COMPLETE: EventKind.COMPLETED,
        TicketEvent.SKIP: EventKind.SKIPPED,
        TicketEvent.NO_SHOW: EventKind.NO_SHOW,
        TicketEvent.REQUEUE: EventKind.REQUEUED,
        TicketEvent.TRANSFER: EventKind.TRANSFERRED,
        TicketEvent.CANCEL: EventKind.CANCELLED,
        TicketEvent.ESCALATE: EventKind.EMERGENCY_INSERTED,
        TicketEvent.RESCHEDULE: EventKind.RESCHEDULED,
    }
)


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """Something changed in a queue; carries nothing that names the patient."""

    kind: EventKind  # screens receive its value: "called", "checked_in", ...
    department_id: int
    day: str
    ticket_id: int
    token: str
    status: str
    urgency: str
    doctor_id: int | None = None
    room: str | None = None
    previous_doctor_id: int | None = None
    previous_department_id: int | None = None
    at: str = ""
    # The action created this ticket: nobody can be watching its own room yet.
    new_ticket: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # An untyped caller may pass the value; a kind nobody knows is refused here rather than
        # ignored by every consumer.
        object.__setattr__(self, "kind", EventKind(self.kind))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (datetimes are already strings)."""
        return asdict(self)


Subscriber = Callable[[Sequence[QueueEvent]], Awaitable[None]]
# Runs inside the action's transaction: writes that must commit or roll back with the change.
TxListener = Callable[[AsyncSession, QueueEvent], Awaitable[None]]


class EventHub:
    """Fan events out to in-transaction listeners and after-commit subscribers."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self.tx_listeners: list[TxListener] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber; it is awaited for every committed batch."""
        self._subscribers.append(subscriber)

    def listen_in_transaction(self, listener: TxListener) -> None:
        """Add a listener awaited inside the action's transaction, for writes that go with it."""
        self.tx_listeners.append(listener)

    async def publish(self, events: Sequence[QueueEvent]) -> None:
        """Deliver a committed batch to every subscriber; one failing does not stop others."""
        for subscriber in self._subscribers:
            try:
                await subscriber(events)
            except Exception:
                log.exception("event subscriber %r failed", subscriber)


async def record(db: AsyncSession, event: QueueEvent) -> None:
    """Run the in-transaction listeners now; publish `event` once the transaction commits."""
    hub: EventHub | None = db.info.get("hub")
    pending: list[QueueEvent] | None = db.info.get("events")
    if pending is None:
        pending = db.info["events"] = []
        if hub is not None:
            after_commit(db, lambda: hub.publish(list(pending)))
    pending.append(event)
    if hub is not None:
        for listener in hub.tx_listeners:
            await listener(db, event)


def iso(moment: datetime | None) -> str | None:
    """Render a datetime for payloads that cross Redis as JSON."""
    return moment.isoformat() if moment is not None else None
