"""Decide each future slot's overbooking allowance with the allocation model; booking enforces it.

The day is planned as if it fills up, from what is known: every booking stays in its own slot
with its patient's stored show probability (a patient already checked in is certain), every
free place is a request at the department's base show rate, and as many extra requests as
the session's expected no-shows, also at the base rate (patients not yet known), may go
anywhere in the session. Where the model puts bookings beyond capacity (the cheapest alpha_k)
becomes the slot's `overbook_cap`; every other slot gets none. Booking then checks the same
slot with the same stored probabilities, so an allowance lands where the check can use it.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.events import EventKind, QueueEvent, Subscriber
from server.models import Appointment, Department, Doctor, DoctorSession, Slot
from server.queue.state import TicketStatus
from server.services import Services
from server.solver import (
    AllocationRequest,
    AllocationResult,
    SlotSpec,
    SolverPolicy,
    allocate,
    greedy_result,
)

JOB = "allocate"
# A free place's hypothetical request may move this far in the model: demand, not a promise.
WINDOW_MIN = 60
# Patients already in the building count as certain arrivals.
ARRIVED = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)


def job_key(day: date | str) -> str:
    """Name the coalescing key: one queued allocation per day."""
    return f"{JOB}:{day}"


@dataclass
class DayModel:
    """The allocation input for one day's future slots, and what bounds each slot's cap."""

    slots: list[SlotSpec] = field(default_factory=list)
    requests: list[AllocationRequest] = field(default_factory=list)
    # slot_id -> the session's overbook cap: no allowance goes above it.
    session_caps: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Place:
    slot: Slot
    session: DoctorSession
    index: int
    base_show: float


async def read_day(db: AsyncSession, day: date, now: datetime) -> DayModel:
    """Read the day's future slots and bookings as slots and requests for the model."""
    places = await _future_slots(db, day, now)
    bookings = await _bookings(db, [p.slot.id for p in places])
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    model = DayModel()
    by_session: dict[int, list[_Place]] = {}
    for place in places:
        by_session.setdefault(place.session.id, []).append(place)
    synthetic = itertools.count(-1, -1)  # hypothetical requests, apart from appointment ids
    for group in by_session.values():
        _add_session(model, group, bookings, midnight, synthetic)
    return model


def _add_session(
    model: DayModel,
    group: Sequence[_Place],
    bookings: dict[int, list[Appointment]],
    midnight: datetime,
    synthetic: Iterator[int],
) -> None:
    """Add one session's slots, its bookings, its free places and its expected no-shows."""
    first = _minute(group[0].slot.starts_at, midnight)
    last = _minute(group[-1].slot.starts_at, midnight)
    shows: list[float] = []
    for place in group:
        slot, mine = place.slot, bookings.get(place.slot.id, [])
        # Bookings stay where they are (the allowance applies to this slot's real contents),
        # each with what is known of its patient: there already, or the stored score.
        known = [1.0 if a.status in ARRIVED else _show(a, place.base_show) for a in mine]
        start = _minute(slot.starts_at, midnight)
        model.session_caps[slot.id] = place.session.overbook_cap
        model.slots.append(
            SlotSpec(
                slot.id,
                slot.doctor_id,
                start,
                capacity=slot.capacity,
                index_in_session=place.index,
                booked_show_probs=tuple(known),
                max_bookings=slot.capacity + place.session.overbook_cap,
            )
        )
        shows.extend(known)
        for _ in range(max(0, slot.capacity - len(mine))):
            shows.append(place.base_show)
            model.requests.append(_request(next(synthetic), slot.doctor_id, place.base_show, start))
    # The places the expected no-shows free go to patients not yet known: the base rate.
    base = group[0].base_show
    for _ in range(math.floor(sum(1.0 - s for s in shows) + 1e-9)):
        doctor = group[0].slot.doctor_id
        model.requests.append(_request(next(synthetic), doctor, base, first, last, window=0))


def _request(
    request_id: int,
    doctor_id: int,
    show: float,
    start: int,
    end: int | None = None,
    window: int = WINDOW_MIN,
) -> AllocationRequest:
    return AllocationRequest(
        request_id=request_id,
        urgency="routine",
        show_prob=show,
        eligible_doctor_ids=(doctor_id,),
        window_start_min=start - window,
        window_end_min=(end if end is not None else start) + window,
        preferred_doctor_id=doctor_id,
    )


def _show(appointment: Appointment, base_show: float) -> float:
    if appointment.no_show_probability is None:
        return base_show
    return 1.0 - appointment.no_show_probability


def _minute(moment: datetime, midnight: datetime) -> int:
    return int((moment - midnight).total_seconds() // 60)


async def _future_slots(db: AsyncSession, day: date, now: datetime) -> list[_Place]:
    """Return the day's slots that have not started, with their session and index in it."""
    rows = await db.execute(
        select(Slot, DoctorSession, Department.base_no_show_rate)
        .join(DoctorSession, Slot.session_id == DoctorSession.id)
        .join(Doctor, Slot.doctor_id == Doctor.id)
        .join(Department, Doctor.department_id == Department.id)
        .where(DoctorSession.day == day)
        .order_by(DoctorSession.id, Slot.starts_at)
    )
    places: list[_Place] = []
    index: dict[int, int] = {}
    for slot, doctor_session, rate in rows.tuples():
        k = index[doctor_session.id] = index.get(doctor_session.id, -1) + 1
        # alpha_k grows from the session's first slot, started or not.
        # A slot closed by an early close keeps capacity 0 and a cap equal to what it holds.
        closed = doctor_session.closed_early_at
        if slot.starts_at > now and (closed is None or slot.starts_at < closed):
            places.append(_Place(slot, doctor_session, k, 1.0 - float(rate)))
    return places


async def _bookings(db: AsyncSession, slot_ids: list[int]) -> dict[int, list[Appointment]]:
    if not slot_ids:
        return {}
    rows = await db.scalars(
        select(Appointment).where(
            Appointment.slot_id.in_(slot_ids),
            Appointment.status.in_((TicketStatus.BOOKED, *ARRIVED)),
        )
    )
    out: dict[int, list[Appointment]] = {}
    for appointment in rows.unique():
        if appointment.slot_id is None:  # selected by slot: only a bug gets here
            raise RuntimeError(f"appointment {appointment.id} has no slot")
        out.setdefault(appointment.slot_id, []).append(appointment)
    return out


def allowances(model: DayModel, result: AllocationResult) -> dict[int, int]:
    """Return each slot's overbooking allowance: the model's bookings beyond capacity, capped."""
    over = {load.slot_id: max(0, load.bookings - load.capacity) for load in result.slot_loads}
    return {
        s.slot_id: min(model.session_caps[s.slot_id], over.get(s.slot_id, 0)) for s in model.slots
    }


async def store(db: AsyncSession, caps: dict[int, int]) -> dict[int, int]:
    """Write the allowances; a slot already holding more keeps room for what it holds.

    Each slot's expected arrivals are summed again from its bookings' stored scores, which the
    nightly re-score has refreshed since they were booked: booking checks what the model saw.
    """
    if not caps:
        return {}
    rows = await db.execute(
        select(Slot.id, Slot.booked, Slot.capacity).where(Slot.id.in_(caps)).with_for_update()
    )
    final = {
        slot_id: max(caps[slot_id], booked - capacity)
        for slot_id, booked, capacity in rows.tuples()
    }
    held = await db.execute(
        select(Appointment.slot_id, Appointment.no_show_probability).where(
            Appointment.slot_id.in_(final), Appointment.status != TicketStatus.CANCELLED
        )
    )
    milli = dict.fromkeys(final, 0)
    for slot_id, no_show in held.tuples():
        if slot_id is None:  # selected by slot: only a bug gets here
            raise RuntimeError("a held place without a slot")
        # The arithmetic of take_place and release_place, so a later cancel gives back exactly.
        milli[slot_id] += round((1.0 - (no_show or 0.0)) * 1000)
    await db.execute(
        update(Slot)
        .where(Slot.id.in_(final))
        .values(
            overbook_cap=case(final, value=Slot.id),
            expected_shows_milli=case(milli, value=Slot.id),
        )
        .execution_options(synchronize_session=False)
    )
    return final


async def allocate_day(services: Services, day: date, policy: SolverPolicy) -> dict[int, int]:
    """Allocate one day and store its allowances; return slot_id -> overbook_cap written."""
    now = services.clock()
    model = await services.read(lambda s: read_day(s, day, now))
    if not model.slots:
        return {}
    # CP-SAT releases the GIL: in a thread it never stalls the sockets of this process.
    result = await asyncio.to_thread(
        allocate, model.slots, model.requests, policy, seed=policy.random_seed
    )
    if result.stats.status not in ("optimal", "feasible"):
        # Nothing found within the budget (a loaded machine): the greedy allocation under the
        # same rules, about 10 % below the optimum, rather than allowances of another night.
        result = greedy_result(model.slots, model.requests, policy)
    caps = allowances(model, result)
    return await services.run(lambda s: store(s, caps))


async def request_allocation(services: Services, day: date | str) -> None:
    """Queue an allocation of one day (coalesced with any already queued)."""
    await services.enqueue(JOB, str(day), key=job_key(day))


# A cancellation gives a place back. The others keep the day's allowances: listed, and held to
# every kind by a test, so that a new kind is placed on purpose.
REALLOCATE = frozenset({EventKind.CANCELLED})
KEEP_ALLOCATION = frozenset(
    {
        EventKind.BOOKED,
        EventKind.WALK_IN,
        EventKind.CHECKED_IN,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.COMPLETED,
        EventKind.SKIPPED,
        EventKind.NO_SHOW,
        EventKind.REQUEUED,
        EventKind.RESCHEDULED,
        EventKind.TRANSFERRED,
        EventKind.EMERGENCY_INSERTED,
        EventKind.RESEQUENCED,
        EventKind.DESK_OPENED,
        EventKind.DESK_CLOSED,
        EventKind.SESSION_CLOSED,
        EventKind.SESSION_DELAYED,
        EventKind.SETUP_CHANGED,
        EventKind.ACCESS_ENDED,
    }
)


def subscriber(services: Services) -> Subscriber:
    """Return the after-commit subscriber that re-allocates a day after a cancellation."""

    async def on_commit(events: Sequence[QueueEvent]) -> None:
        today = services.clock().date().isoformat()
        days = {e.day for e in events if e.kind in REALLOCATE and e.day >= today}
        for day in sorted(days):
            await request_allocation(services, day)

    return on_commit


def upcoming(today: date, days: int) -> list[date]:
    """Return today and the following days, the nightly run's horizon."""
    return [today + timedelta(days=n) for n in range(days)]
