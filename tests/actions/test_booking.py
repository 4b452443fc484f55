"""Booking, walk-ins, cancelling and rescheduling, through the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import OverbookPolicy, SlotChoice
from server.actions.common import change_status
from server.api.errors import http_status
from server.auth.actor import SYSTEM
from server.errors import DomainError
from server.models import AuditEvent, Slot
from server.queue.state import InvalidTransition, TicketEvent, TicketStatus
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session

NOW = T0 - timedelta(hours=1)


async def first_slot(db: AsyncSession, doctor_id: int) -> Slot:
    slot = await db.scalar(
        select(Slot).where(Slot.doctor_id == doctor_id).order_by(Slot.starts_at).limit(1)
    )
    assert slot is not None
    return slot


async def test_a_booking_gets_the_first_token_of_its_department_day(db: AsyncSession) -> None:
    department = await make_department(db, token_prefix="G")
    doctor = await make_doctor(db, department)
    await make_session(db, doctor)
    patient = await make_patient(db)
    slot = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=NOW
    )
    assert ticket.token == "G-001"
    assert ticket.appointment.status is TicketStatus.BOOKED
    assert ticket.appointment.scheduled_at == slot.starts_at
    await db.refresh(slot)
    assert slot.booked == 1


async def test_walk_ins_and_bookings_share_one_sequence(db: AsyncSession) -> None:
    department = await make_department(db, token_prefix="W")
    doctor = await make_doctor(db, department)
    await make_session(db, doctor)
    slot = await first_slot(db, doctor.id)
    tokens = []
    for index in range(4):
        patient = await make_patient(db)
        if index % 2:
            ticket = await booking.book(
                db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id + index), now=NOW
            )
        else:
            ticket = await booking.register_walk_in(
                db, SYSTEM, patient_id=patient.id, department_id=department.id, now=T0
            )
        tokens.append(ticket.token)
    assert tokens == ["W-001", "W-002", "W-003", "W-004"]


async def test_each_department_counts_from_one(db: AsyncSession) -> None:
    first, second = (
        await make_department(db, token_prefix="A"),
        await make_department(db, token_prefix="B"),
    )
    patient = await make_patient(db)
    a = await booking.register_walk_in(
        db, SYSTEM, patient_id=patient.id, department_id=first.id, now=T0
    )
    b = await booking.register_walk_in(
        db, SYSTEM, patient_id=patient.id, department_id=second.id, now=T0
    )
    assert (a.token, b.token) == ("A-001", "B-001")


async def test_the_count_starts_again_the_next_day(db: AsyncSession) -> None:
    department = await make_department(db, token_prefix="N")
    patient = await make_patient(db)
    await booking.register_walk_in(
        db, SYSTEM, patient_id=patient.id, department_id=department.id, now=T0
    )
    tomorrow = await booking.register_walk_in(
        db,
        SYSTEM,
        patient_id=patient.id,
        department_id=department.id,
        now=T0 + timedelta(days=1),
    )
    assert tomorrow.token == "N-001"


async def test_booking_records_an_audit_row(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    patient = await make_patient(db)
    slot = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=NOW, reason="cough"
    )
    row = await db.scalar(
        select(AuditEvent).where(AuditEvent.appointment_id == ticket.appointment_id)
    )
    assert row is not None and (row.action, row.to_status, row.at) == ("book", "booked", NOW)


async def test_a_full_slot_takes_an_overbooking_only_while_expected_arrivals_stay_low(
    db: AsyncSession,
) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor, capacity_per_slot=1, overbook_cap=2)
    slot = await first_slot(db, doctor.id)

    async def likely_absent(*_: object) -> float:
        return 0.9  # shows with 10 %: three bookings expect 0.3 patients

    tickets = [
        await booking.book(
            db,
            SYSTEM,
            patient_id=(await make_patient(db)).id,
            choice=SlotChoice(slot.id),
            now=NOW,
            scorer=likely_absent,
        )
        for _ in range(3)
    ]
    assert [t.appointment.overbooked for t in tickets] == [False, True, True]
    assert "expected arrivals" in tickets[1].appointment.overbook_reason
    with pytest.raises(DomainError) as caught:  # the hard cap: capacity + overbook_cap
        await booking.book(
            db,
            SYSTEM,
            patient_id=(await make_patient(db)).id,
            choice=SlotChoice(slot.id),
            now=NOW,
            scorer=likely_absent,
        )
    assert caught.value.code == "SLOT_FULL"


async def test_patients_who_will_likely_come_are_not_overbooked(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor, capacity_per_slot=1, overbook_cap=3)
    slot = await first_slot(db, doctor.id)

    async def reliable(*_: object) -> float:
        return 0.05

    await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(slot.id),
        now=NOW,
        scorer=reliable,
    )
    with pytest.raises(DomainError) as caught:
        await booking.book(
            db,
            SYSTEM,
            patient_id=(await make_patient(db)).id,
            choice=SlotChoice(slot.id),
            now=NOW,
            scorer=reliable,
            policy=OverbookPolicy(max_expected_excess=0.25),
        )
    assert caught.value.code == "SLOT_FULL"


@pytest.mark.parametrize(
    ("choice_kind", "code", "status"),
    [
        ("past", "SLOT_IN_PAST", 422),
        ("missing", "SLOT_NOT_FOUND", 404),
        ("no_session", "NO_SESSION", 422),
        ("nothing", "SLOT_REQUIRED", 422),
        ("off_grid", "SLOT_NOT_FOUND", 404),
    ],
)
async def test_impossible_bookings_are_refused_with_a_code(
    db: AsyncSession, choice_kind: str, code: str, status: int
) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    patient = await make_patient(db)
    slot = await first_slot(db, doctor.id)
    choices = {
        "past": (SlotChoice(slot.id), T0 + timedelta(minutes=1)),
        "missing": (SlotChoice(slot_id=10**8), NOW),
        "no_session": (SlotChoice(doctor_id=doctor.id, starts_at=T0 + timedelta(days=1)), NOW),
        "nothing": (SlotChoice(), NOW),
        "off_grid": (SlotChoice(doctor_id=doctor.id, starts_at=T0 + timedelta(minutes=7)), NOW),
    }
    choice, now = choices[choice_kind]
    with pytest.raises(DomainError) as caught:
        await booking.book(db, SYSTEM, patient_id=patient.id, choice=choice, now=now)
    assert (caught.value.code, http_status(caught.value)) == (code, status)


async def test_the_same_patient_cannot_hold_one_slot_twice(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor, capacity_per_slot=3)
    patient = await make_patient(db)
    slot = await first_slot(db, doctor.id)
    await booking.book(db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=NOW)
    with pytest.raises(DomainError) as caught:
        await booking.book(db, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=NOW)
    assert caught.value.code == "ALREADY_BOOKED"


async def test_cancelling_gives_the_place_back(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    slot = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(slot.id),
        now=NOW,
    )
    await booking.cancel(db, SYSTEM, ticket_id=ticket.id, now=NOW, reason="feels better")
    await db.refresh(slot)
    assert ticket.appointment.status is TicketStatus.CANCELLED and slot.booked == 0
    again = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(slot.id),
        now=NOW,
    )
    assert again.appointment.overbooked is False


async def test_cancelling_twice_is_an_invalid_transition(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    slot = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(slot.id),
        now=NOW,
    )
    await booking.cancel(db, SYSTEM, ticket_id=ticket.id, now=NOW)
    with pytest.raises(DomainError) as caught:
        await booking.cancel(db, SYSTEM, ticket_id=ticket.id, now=NOW)
    assert caught.value.code == "INVALID_TRANSITION" and http_status(caught.value) == 409


async def test_rescheduling_moves_the_place_and_keeps_the_token_on_the_same_day(
    db: AsyncSession,
) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    first = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(first.id),
        now=NOW,
    )
    token = ticket.token
    moved = await booking.reschedule(
        db, SYSTEM, ticket_id=ticket.id, choice=SlotChoice(first.id + 1), now=NOW
    )
    counts = dict(
        (
            await db.execute(
                select(Slot.id, Slot.booked).where(Slot.id.in_([first.id, first.id + 1]))
            )
        )
        .tuples()
        .all()
    )
    assert moved.token == token and moved.appointment.slot_id == first.id + 1
    assert counts == {first.id: 0, first.id + 1: 1}


@pytest.mark.parametrize(
    "event", [TicketEvent.CHECK_IN, TicketEvent.CANCEL], ids=["arrived", "cancelled"]
)
async def test_only_a_booking_not_yet_arrived_moves_as_the_state_machine_says(
    db: AsyncSession, event: TicketEvent
) -> None:
    doctor = await make_doctor(db)
    await make_session(db, doctor)
    first = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(first.id),
        now=NOW,
    )
    change_status(db, SYSTEM, ticket, event, NOW)
    status = ticket.appointment.status
    with pytest.raises(InvalidTransition) as caught:
        await booking.reschedule(
            db, SYSTEM, ticket_id=ticket.id, choice=SlotChoice(first.id + 1), now=NOW
        )
    refused = caught.value
    assert (refused.status, refused.event) == (status, TicketEvent.RESCHEDULE)
    assert (refused.code, http_status(refused)) == ("INVALID_TRANSITION", 409)
    assert refused.details == {"status": status.value, "event": "reschedule"}
    taken = await db.scalar(select(Slot.booked).where(Slot.id == first.id + 1))
    assert taken == 0 and ticket.appointment.slot_id == first.id


async def test_rescheduling_to_another_day_takes_that_days_token(db: AsyncSession) -> None:
    department = await make_department(db, token_prefix="R")
    doctor = await make_doctor(db, department)
    await make_session(db, doctor)
    await make_session(
        db, doctor, starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=1, hours=2)
    )
    first = await first_slot(db, doctor.id)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        choice=SlotChoice(first.id),
        now=NOW,
    )
    await booking.register_walk_in(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        department_id=department.id,
        now=T0 + timedelta(days=1),
    )
    moved = await booking.reschedule(
        db,
        SYSTEM,
        ticket_id=ticket.id,
        choice=SlotChoice(doctor_id=doctor.id, starts_at=T0 + timedelta(days=1)),
        now=NOW,
    )
    assert moved.token == "R-002" and moved.day == (T0 + timedelta(days=1)).date()


async def test_a_walk_in_waits_at_once(db: AsyncSession) -> None:
    department = await make_department(db)
    ticket = await booking.register_walk_in(
        db,
        SYSTEM,
        patient_id=(await make_patient(db)).id,
        department_id=department.id,
        now=T0,
    )
    assert ticket.appointment.status is TicketStatus.WAITING and ticket.arrived_at == T0


async def test_a_walk_in_for_a_doctor_not_working_today_is_refused(db: AsyncSession) -> None:
    doctor = await make_doctor(db)
    with pytest.raises(DomainError) as caught:
        await booking.register_walk_in(
            db,
            SYSTEM,
            patient_id=(await make_patient(db)).id,
            department_id=doctor.department_id,
            doctor_id=doctor.id,
            now=T0,
        )
    assert caught.value.code == "NO_SESSION"
    assert (
        await db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "walk_in"))
        == 0
    )
