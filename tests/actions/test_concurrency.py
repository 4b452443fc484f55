"""Capacity and token numbers hold when many desks and phones act at the same moment."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.db import make_database, run_transaction
from server.errors import DomainError
from server.models import Slot, Ticket
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session


async def outcome(engine: AsyncEngine, work: object) -> str:
    try:
        await run_transaction(make_database(engine), work)  # type: ignore[arg-type]
    except DomainError as error:
        return error.code
    return "OK"


async def test_200_simultaneous_bookings_for_10_places_give_exactly_10(engine: AsyncEngine) -> None:
    async with make_database(engine)() as db, db.begin():
        doctor = await make_doctor(db)
        await make_session(db, doctor, capacity_per_slot=10, overbook_cap=0)
        slot_id = await db.scalar(
            select(Slot.id).where(Slot.doctor_id == doctor.id).order_by(Slot.starts_at).limit(1)
        )
        patients = [(await make_patient(db)).id for _ in range(200)]
    assert slot_id is not None

    def book(patient_id: int) -> object:
        async def work(db: AsyncSession) -> Ticket:
            return await booking.book(
                db,
                SYSTEM,
                patient_id=patient_id,
                choice=SlotChoice(slot_id),
                now=T0 - timedelta(hours=1),
            )

        return work

    results = await asyncio.gather(*(outcome(engine, book(p)) for p in patients))
    assert sorted(set(results)) == ["OK", "SLOT_FULL"]
    assert results.count("OK") == 10 and results.count("SLOT_FULL") == 190
    async with make_database(engine)() as db:
        slot = await db.get(Slot, slot_id)
        tickets = await db.scalars(
            select(Ticket.number).where(Ticket.department_id == doctor.department_id)
        )
        assert slot is not None and slot.booked == 10
        assert sorted(tickets) == list(range(1, 11))  # refused bookings burned no token


async def test_300_simultaneous_walk_ins_get_tokens_1_to_300(engine: AsyncEngine) -> None:
    async with make_database(engine)() as db, db.begin():
        department = await make_department(db)
        patients = [(await make_patient(db)).id for _ in range(300)]

    def register(patient_id: int) -> object:
        async def work(db: AsyncSession) -> Ticket:
            return await booking.register_walk_in(
                db, SYSTEM, patient_id=patient_id, department_id=department.id, now=T0
            )

        return work

    results = await asyncio.gather(*(outcome(engine, register(p)) for p in patients))
    assert results.count("OK") == 300
    async with make_database(engine)() as db:
        numbers = list(
            await db.scalars(select(Ticket.number).where(Ticket.department_id == department.id))
        )
        tokens = set(
            await db.scalars(select(Ticket.token).where(Ticket.department_id == department.id))
        )
    assert sorted(numbers) == list(range(1, 301)) and len(tokens) == 300
