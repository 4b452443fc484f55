"""The fan-out updates exactly the rooms someone may be watching."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.events import QueueEvent
from server.models import Slot
from server.realtime.fanout import Fanout
from server.realtime.rooms import BOARD, PATIENT, department_room, ticket_room
from server.realtime.sequence import MemorySequencer
from server.realtime.snapshots import Data, SnapshotCache
from server.services import Services
from tests.factories import make_doctor, make_patient, make_session


class Recorder:
    """Collect each committed batch, and each emit as (namespace, room)."""

    def __init__(self) -> None:
        self.batches: list[Sequence[QueueEvent]] = []
        self.emitted: list[tuple[str, str]] = []

    async def take(self, events: Sequence[QueueEvent]) -> None:
        self.batches.append(events)

    async def emit(self, _event: str, _data: Data, namespace: str, room: str) -> None:
        self.emitted.append((namespace, room))


async def deliver_all(services: Services, seen: Recorder) -> None:
    fanout = Fanout(services, seen.emit, MemorySequencer(), SnapshotCache())
    for batch in seen.batches:
        await fanout.deliver(batch, 0.0)


async def test_a_booking_for_another_day_updates_no_screen_until_it_changes(
    services: Services,
) -> None:
    seen = Recorder()
    services.hub.subscribe(seen.take)
    tomorrow = services.clock() + timedelta(days=1)

    async def setup(s: AsyncSession) -> tuple[int, int]:
        doctor = await make_doctor(s)
        await make_session(s, doctor, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=1))
        patient = await make_patient(s)
        slot_id = await s.scalar(select(Slot.id).limit(1))
        return patient.id, int(slot_id)

    patient_id, slot_id = await services.run(setup)
    ticket = await services.run(
        lambda s: booking.book(
            s, SYSTEM, patient_id=patient_id, choice=SlotChoice(slot_id), now=services.clock()
        )
    )
    await deliver_all(services, seen)
    assert seen.emitted == []  # nobody holds the new ticket's link yet

    seen.batches.clear()
    await services.run(
        lambda s: booking.cancel(s, SYSTEM, ticket_id=ticket.id, now=services.clock())
    )
    await deliver_all(services, seen)
    assert seen.emitted == [(PATIENT, ticket_room(ticket.id))]


async def test_a_walk_in_today_updates_its_department_screens(services: Services) -> None:
    seen = Recorder()
    services.hub.subscribe(seen.take)

    async def setup(s: AsyncSession) -> tuple[int, int]:
        doctor = await make_doctor(s)
        await make_session(s, doctor)
        patient = await make_patient(s)
        return patient.id, doctor.department_id

    patient_id, department_id = await services.run(setup)
    await services.run(
        lambda s: booking.register_walk_in(
            s, SYSTEM, patient_id=patient_id, department_id=department_id, now=services.clock()
        )
    )
    await deliver_all(services, seen)
    assert (BOARD, department_room(department_id)) in seen.emitted
