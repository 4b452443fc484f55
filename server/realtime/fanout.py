"""After each commit: number the affected rooms, read their new state once, emit to each room."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import NotFound
from server.events import EventKind, QueueEvent
from server.models import Appointment, Ticket
from server.queries.queues import LIVE, department_snapshot, ticket_snapshot
from server.realtime.rooms import BOARD, PATIENT, STAFF, counter_key, department_room, ticket_room
from server.realtime.sequence import Sequencer
from server.realtime.snapshots import Data, SnapshotCache, parse_room
from server.realtime.views import board_view, patient_view, public_events
from server.services import Services

log = logging.getLogger(__name__)

# (event name, payload, namespace, room): a server's emit, or a worker's write-only manager's.
Emit = Callable[[str, Data, str, str], Awaitable[None]]
Emission = tuple[str, Data, str, str]
# All of a batch's emits in one call: one Redis message for the other servers, not one per room.
EmitMany = Callable[[list[Emission]], Awaitable[None]]
# namespace -> (data, events) of one room
Payloads = dict[str, tuple[Data, list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Target:
    """One room to update: the namespaces that hold it and the counter that numbers it."""

    namespaces: tuple[str, ...]
    room: str

    @property
    def key(self) -> str:
        """Name this room's counter."""
        return counter_key(self.namespaces[0], self.room)


@dataclass(slots=True)
class Batch:
    """Committed events waiting to go out, and when the first of them committed."""

    events: list[QueueEvent] = field(default_factory=list)
    committed_at: float = 0.0


async def live_ticket_ids(db: AsyncSession, department_ids: set[int], day: date) -> list[int]:
    """Return the ids of the waiting, called and in-room tickets of some departments today."""
    if not department_ids:
        return []
    rows = await db.scalars(
        select(Ticket.id)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Ticket.queue_department_id.in_(department_ids),
            Ticket.day == day,
            Appointment.status.in_(LIVE),
        )
    )
    return list(rows.all())


def departments_today(events: Sequence[QueueEvent], today: date) -> set[int]:
    """Return the departments whose queue for `today` these events changed."""
    found: set[int] = set()
    for event in events:
        if event.kind is EventKind.ACCESS_ENDED:
            continue  # no queue's event: server/realtime/access.py disconnects its sockets
        if event.day == today.isoformat():
            found.add(event.department_id)
            if event.previous_department_id is not None:
                found.add(event.previous_department_id)
    return found


def watchable_tickets(events: Sequence[QueueEvent]) -> set[int]:
    """Return the tickets of `events` whose rooms may have listeners.

    A ticket created by this batch has no listener yet: its link was not even sent. One who
    opens it in the meantime reads a snapshot after the commit, which is already current.
    """
    return {e.ticket_id for e in events if not e.new_ticket}


def targets_for(departments: set[int], tickets: set[int]) -> list[Target]:
    """List the rooms a batch updates: each department's board and staff rooms, each ticket's."""
    rooms = [Target((BOARD,), department_room(d)) for d in sorted(departments)]
    rooms += [Target(STAFF, department_room(d)) for d in sorted(departments)]
    rooms += [Target((PATIENT,), ticket_room(t)) for t in sorted(tickets)]
    return rooms


class Fanout:
    """The hub subscriber that keeps every screen's rooms current; one batch at a time."""

    def __init__(
        self,
        services: Services,
        emit: Emit,
        sequencer: Sequencer,
        cache: SnapshotCache,
        emit_many: EmitMany | None = None,
    ) -> None:
        self.services, self.emit, self.sequencer, self.cache = services, emit, sequencer, cache
        self.emit_many = emit_many
        self._pending = Batch()
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self, events: Sequence[QueueEvent]) -> None:
        """Take a committed batch; deliver it in the background so the action returns at once."""
        if not self._pending.events:
            self._pending.committed_at = time.time()
        self._pending.events.extend(events)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        # Batches that arrive while one is delivered merge into one: fewer reads under load.
        while self._pending.events:
            batch, self._pending = self._pending, Batch()
            try:
                await self.deliver(batch.events, batch.committed_at)
            except Exception:
                log.exception("live update of %d events failed", len(batch.events))

    async def wait_idle(self) -> None:
        """Wait until every committed batch has gone out."""
        while self._runner is not None and not self._runner.done():
            await self._runner

    async def deliver(self, events: Sequence[QueueEvent], committed_at: float) -> None:
        """Number, read and emit the rooms `events` changed."""
        services = self.services
        now = services.clock()
        departments = departments_today(events, now.date())
        live = (
            await services.read(lambda s: live_ticket_ids(s, departments, now.date()))
            if departments
            else []
        )
        targets = targets_for(departments, set(live) | watchable_tickets(events))
        if not targets:
            return  # e.g. a booking for another day: no screen shows it yet
        # Numbers are taken before the read: the state sent under a number is never older.
        epoch, numbers = await self.sequencer.advance([t.key for t in targets])
        payloads = await services.read(lambda s: self._read(s, targets, events))
        emissions: list[Emission] = []
        for target, seq in zip(targets, numbers, strict=True):
            if target.room not in payloads:
                continue
            data, happened = payloads[target.room][target.namespaces[0]]
            self.cache.put(target.key, epoch, seq, data)
            message = {
                "epoch": epoch,
                "room": target.room,
                "seq": seq,
                "events": happened,
                "data": data,
                "sent_at": committed_at,
            }
            emissions += [("update", message, ns, target.room) for ns in target.namespaces]
        if self.emit_many is not None:
            await self.emit_many(emissions)
            return
        for emission in emissions:
            await self.emit(*emission)

    async def _read(
        self, db: AsyncSession, targets: Sequence[Target], events: Sequence[QueueEvent]
    ) -> dict[str, Payloads]:
        """Read each department once; cut the board, staff and ticket payloads from it."""
        now, minutes = self.services.clock(), float(self.services.settings.default_consultation_min)
        raw = [e.to_dict() for e in events]
        out: dict[str, Payloads] = {}
        tickets: dict[int, Data] = {}
        for target in targets:
            kind, ident = parse_room(target.room)
            if target.namespaces[0] == BOARD:
                snapshot = await department_snapshot(
                    db, ident, now.date(), now, names=True, default_min=minutes
                )
                out[target.room] = department_payloads(snapshot, raw)
                tickets.update(
                    {t["ticket_id"]: patient_view(snapshot, t) for t in snapshot["tickets"]}
                )
            elif kind == "ticket":
                data = tickets.get(ident) or await _lone_ticket(db, ident, now, minutes)
                if data is not None:
                    mine = public_events(e for e in raw if e["ticket_id"] == ident)
                    out[target.room] = {PATIENT: (data, mine)}
        return out


async def _lone_ticket(
    db: AsyncSession, ticket_id: int, now: datetime, minutes: float
) -> Data | None:
    # A ticket that left the live queue (or is of another day) is read on its own.
    try:
        alone = await ticket_snapshot(db, ticket_id, now, minutes)
    except NotFound:
        return None  # deleted since: nobody can be watching it
    return patient_view(alone, alone["ticket"])


def department_payloads(snapshot: Data, raw: list[dict[str, Any]]) -> Payloads:
    """Cut a department's board and staff payloads, each with the events that concern it."""
    department_id = snapshot["department"]["id"]
    mine = [
        e for e in raw if department_id in (e["department_id"], e.get("previous_department_id"))
    ]
    return {BOARD: (board_view(snapshot), public_events(mine)), STAFF[0]: (snapshot, mine)}
