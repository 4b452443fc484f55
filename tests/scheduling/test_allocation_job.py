"""The allocation job: overbooking allowed only where the model finds it cheapest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from quart import Quart
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.auth.actor import SYSTEM
from server.background.allocation import allocate_day
from server.errors import DomainError
from server.jobs import InProcessJobs
from server.models import Appointment, Slot, Ticket
from server.scheduling import allocation
from server.scheduling.allocation import read_day
from server.scheduling.settings import SolverSettings
from server.services import Services
from server.solver import AllocationRequest, AllocationResult, SlotSpec, SolveStats
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session

TOMORROW = T0 + timedelta(days=1)


async def open_tomorrow(
    services: Services, overbook_caps: tuple[int, ...] = (1,), no_show_rate: float = 0.4
) -> list[list[int]]:
    """Open one-hour sessions tomorrow (four 15-minute slots each); return their slot ids."""

    async def work(db: AsyncSession) -> list[list[int]]:
        department = await make_department(db)
        department.base_no_show_rate = no_show_rate
        sessions = []
        for cap in overbook_caps:
            doctor = await make_doctor(db, department)
            block = await make_session(
                db,
                doctor,
                starts_at=TOMORROW,
                ends_at=TOMORROW + timedelta(hours=1),
                overbook_cap=cap,
            )
            ids = await db.scalars(
                select(Slot.id).where(Slot.session_id == block.id).order_by(Slot.starts_at)
            )
            sessions.append(list(ids))
        return sessions

    return await services.run(work)


async def caps_of(services: Services, slot_ids: list[int]) -> list[int]:
    rows = await services.read(
        lambda s: s.execute(select(Slot.id, Slot.overbook_cap).where(Slot.id.in_(slot_ids)))
    )
    caps = dict(rows.tuples().all())
    return [caps[i] for i in slot_ids]


async def run_job(services: Services, settings: SolverSettings | None = None) -> None:
    services.solver_settings = settings or SolverSettings()
    await allocate_day({"services": services}, TOMORROW.date().isoformat())


async def book(services: Services, slot_id: int) -> bool:
    """Book a new patient into the slot; return whether the booking is an overbooking."""

    async def work(db: AsyncSession) -> bool:
        patient = await make_patient(db)
        ticket = await booking.book(
            db,
            SYSTEM,
            patient_id=patient.id,
            choice=booking.SlotChoice(slot_id=slot_id),
            now=T0,
        )
        return ticket.appointment.overbooked

    return await services.run(work)


async def test_overbooking_is_allowed_early_in_the_session_where_it_costs_least(
    app: Quart, services: Services
) -> None:
    [slots] = await open_tomorrow(services)
    await run_job(services)
    # Four places at a 40 % no-show rate: 1.6 expected no-shows, so one extra place, first.
    assert await caps_of(services, slots) == [1, 0, 0, 0]


async def test_a_higher_alpha_moves_the_allowed_overbooking_to_cheaper_slots(
    app: Quart, services: Services
) -> None:
    [slots] = await open_tomorrow(services)
    # alpha_k falls through the session: the early slots now cost more than the last one.
    await run_job(services, SolverSettings(alpha_start=100, alpha_step=-20))
    assert await caps_of(services, slots) == [0, 0, 0, 1]


async def test_allowances_never_exceed_the_sessions_cap(app: Quart, services: Services) -> None:
    none, two = await open_tomorrow(services, overbook_caps=(0, 2), no_show_rate=0.6)
    await run_job(services)
    assert await caps_of(services, none) == [0, 0, 0, 0]
    caps = await caps_of(services, two)
    assert max(caps) <= 2 and sum(caps) == 2  # 2.4 expected no-shows: two extra places


async def test_a_booking_beyond_capacity_is_refused_where_the_allowance_is_zero(
    app: Quart, services: Services
) -> None:
    [slots] = await open_tomorrow(services)
    await run_job(services)
    first, last = slots[0], slots[-1]
    assert await book(services, last) is False
    with pytest.raises(DomainError) as refused:
        await book(services, last)
    assert refused.value.code == "SLOT_FULL"
    assert await book(services, first) is False
    assert await book(services, first) is True  # the allowed overbooking


async def test_existing_bookings_stay_where_they_are(app: Quart, services: Services) -> None:
    [slots] = await open_tomorrow(services)
    for slot_id in (slots[-1], slots[-1]):  # overbooked before any allocation
        await book(services, slot_id)
    await run_job(services)
    caps = await caps_of(services, slots)
    assert caps[-1] == 1  # still holds its two bookings
    booked = await services.read(
        lambda s: s.scalars(select(Slot.booked).where(Slot.id.in_(slots)).order_by(Slot.id))
    )
    assert list(booked) == [0, 0, 0, 2]


async def test_a_cancellation_re_allocates_its_day(app: Quart, services: Services) -> None:
    [slots] = await open_tomorrow(services)
    assert await caps_of(services, slots) == [1, 1, 1, 1]  # the session's cap, before allocation

    async def book_and_cancel(db: AsyncSession) -> int:
        patient = await make_patient(db)
        ticket = await booking.book(
            db,
            SYSTEM,
            patient_id=patient.id,
            choice=booking.SlotChoice(slot_id=slots[1]),
            now=T0,
        )
        return ticket.id

    ticket_id = await services.run(book_and_cancel)
    await services.run(lambda s: booking.cancel(s, SYSTEM, ticket_id=ticket_id, now=T0))
    assert isinstance(services.jobs, InProcessJobs)
    await services.jobs.drain()
    assert await caps_of(services, slots) == [1, 0, 0, 0]


async def book_ticket(services: Services, slot_id: int) -> int:
    """Book a new patient into the slot (scored at the base rate); return the ticket id."""

    async def work(db: AsyncSession) -> int:
        patient = await make_patient(db)
        ticket = await booking.book(
            db,
            SYSTEM,
            patient_id=patient.id,
            choice=booking.SlotChoice(slot_id=slot_id),
            now=T0,
        )
        return ticket.id

    return await services.run(work)


async def rescore(services: Services, ticket_id: int, no_show: float) -> None:
    """Store a new no-show probability on a booking, as the nightly re-score does."""

    async def work(db: AsyncSession) -> None:
        ticket = await db.get(Ticket, ticket_id)
        assert ticket is not None
        await db.execute(
            update(Appointment)
            .where(Appointment.id == ticket.appointment_id)
            .values(no_show_probability=no_show)
        )

    await services.run(work)


async def expected_milli(services: Services, slot_id: int) -> int:
    return int(
        await services.read(
            lambda s: s.scalar(select(Slot.expected_shows_milli).where(Slot.id == slot_id))
        )
    )


async def test_a_patient_re_scored_as_unlikely_to_come_makes_room_in_their_own_slot(
    app: Quart, services: Services
) -> None:
    [slots] = await open_tomorrow(services, no_show_rate=0.2)
    tickets = [await book_ticket(services, slot_id) for slot_id in slots]
    # The night's re-score: the last slot's patient will probably not come (0.6).
    await rescore(services, tickets[-1], 0.6)
    await run_job(services)
    # 1.2 expected no-shows free one place; only the last slot can take a second patient
    # (0.4 + 0.8 = 1.2 expected) within capacity + 0.3, so the allowance is there.
    assert await caps_of(services, slots) == [0, 0, 0, 1]
    assert await expected_milli(services, slots[-1]) == 400  # what the model saw, not 800
    assert await book(services, slots[-1]) is True  # the booking check agrees: overbooked
    with pytest.raises(DomainError) as refused:
        await book(services, slots[0])
    assert refused.value.code == "SLOT_FULL"
    # Cancelling the unlikely patient gives back exactly what their slot counts for them.
    await services.run(lambda s: booking.cancel(s, SYSTEM, ticket_id=tickets[-1], now=T0))
    assert await expected_milli(services, slots[-1]) == 800


async def test_the_model_keeps_bookings_in_their_slots_and_unknown_patients_at_the_base_rate(
    app: Quart, services: Services
) -> None:
    [slots] = await open_tomorrow(services, no_show_rate=0.2)
    tickets = [await book_ticket(services, slot_id) for slot_id in slots[1:]]
    await rescore(services, tickets[-1], 0.9)
    model = await services.read(lambda s: read_day(s, TOMORROW.date(), T0))
    booked = [s.booked_show_probs for s in model.slots]
    assert booked == [(), (0.8,), (0.8,), (pytest.approx(0.1),)]
    # One request for the free place, one for the 1.5 expected no-shows: both not yet known.
    assert sorted(r.show_prob for r in model.requests) == pytest.approx([0.8, 0.8])


async def test_when_the_solver_finds_nothing_in_time_the_greedy_allocation_is_stored(
    app: Quart, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    [slots] = await open_tomorrow(services)

    def nothing(
        slots: list[SlotSpec], requests: list[AllocationRequest], *_: object, **__: object
    ) -> AllocationResult:
        stats = SolveStats("unknown", 0.0, 0.0, None, 5.0)
        return AllocationResult({}, tuple(r.request_id for r in requests), (), stats)

    monkeypatch.setattr(allocation, "allocate", nothing)
    await run_job(services)
    # Not the session's cap of 1 everywhere (what was there before): the greedy plan's.
    assert await caps_of(services, slots) == [1, 0, 0, 0]
