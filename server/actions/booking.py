"""Booking online, registering walk-ins, cancelling and rescheduling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Executable, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from server.actions.common import audit, audit_row, change_status, load_ticket, publish
from server.actions.priority import give_category
from server.actions.rows import insert_loaded
from server.actions.tokens import next_token_number
from server.auth.actor import Actor
from server.errors import Conflict, Forbidden, Invalid, NotFound, forbidden, not_found
from server.events import KIND_OF, EventKind
from server.models import (
    Appointment,
    Department,
    Doctor,
    DoctorSession,
    Patient,
    Role,
    Slot,
    Source,
    Ticket,
)
from server.models.appointments import CheckinMethod
from server.queue.order import Urgency
from server.queue.state import TicketEvent, TicketStatus, transition
from server.queue.tokens import format_token

# Defined low (server/tuning.py) so that the services need not import actions.
from server.tuning import OverbookPolicy as OverbookPolicy
from server.tuning import Scorer as Scorer
from server.tuning import base_rate_scorer as base_rate_scorer

# CLINIC_BOOKING_HORIZON_DAYS' default; the routes pass the configured value.
DEFAULT_HORIZON = timedelta(days=180)


def check_horizon(starts_at: datetime, now: datetime, horizon: timedelta) -> None:
    """Refuse a booking or session further ahead than the clinic plans (422 BEYOND_HORIZON)."""
    if starts_at - now > horizon:
        raise Invalid(
            "BEYOND_HORIZON",
            f"bookings and sessions open at most {horizon.days} days ahead",
            {"horizon_days": horizon.days, "latest": (now + horizon).isoformat()},
        )


def check_urgency(actor: Actor, urgency: Urgency) -> None:
    """Leave urgency to clinical staff: a patient's own request is routine (403 otherwise)."""
    if actor.role is Role.PATIENT and urgency is not Urgency.ROUTINE:
        raise Forbidden(
            "URGENCY_NOT_ALLOWED",
            "only clinic staff can mark a visit urgent or an emergency",
            {"urgency": urgency.value},
        )


def check_active(doctor: Doctor) -> None:
    """Refuse a deactivated doctor's slots and queue (422 DOCTOR_INACTIVE)."""
    if not doctor.active:
        raise Invalid(
            "DOCTOR_INACTIVE", f"{doctor.name} no longer sees patients", {"doctor_id": doctor.id}
        )


@dataclass(frozen=True, slots=True)
class SlotChoice:
    """How to find the slot to book: by id, or by doctor and start time."""

    slot_id: int | None = None
    doctor_id: int | None = None
    starts_at: datetime | None = None


async def find_slot(db: AsyncSession, choice: SlotChoice, now: datetime) -> Slot:
    """Resolve a slot choice; 404/422 with a code when it cannot be booked."""
    if choice.slot_id is not None:
        slot = await db.get(Slot, choice.slot_id)
        if slot is None:
            raise not_found("slot", choice.slot_id)
    elif choice.doctor_id is not None and choice.starts_at is not None:
        slot = await _slot_at(db, choice.doctor_id, choice.starts_at)
    else:
        raise Invalid("SLOT_REQUIRED", "give slot_id, or doctor_id and starts_at")
    _check_not_started(slot, now)
    return slot


def _check_not_started(slot: Slot, now: datetime) -> None:
    if slot.starts_at < now:
        raise Invalid(
            "SLOT_IN_PAST",
            "that slot has already started",
            {"starts_at": slot.starts_at.isoformat()},
        )


async def _slot_at(db: AsyncSession, doctor_id: int, starts_at: datetime) -> Slot:
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    has_session = await db.scalar(
        select(func.count(DoctorSession.id)).where(
            DoctorSession.doctor_id == doctor_id, DoctorSession.day == starts_at.date()
        )
    )
    if not has_session:
        raise Invalid(
            "NO_SESSION",
            f"{doctor.name} has no session on {starts_at.date().isoformat()}",
            {"doctor_id": doctor_id, "day": starts_at.date().isoformat()},
        )
    slot = await db.scalar(
        select(Slot).where(Slot.doctor_id == doctor_id, Slot.starts_at == starts_at)
    )
    if slot is None:
        raise NotFound(
            "SLOT_NOT_FOUND",
            "no slot starts at that time",
            {"starts_at": starts_at.isoformat()},
        )
    return slot


def _take(*guards: ColumnElement[bool]) -> Executable:
    # Built once: constructing a statement per call costs more Python than running it.
    return (
        update(Slot)
        .where(Slot.id == bindparam("slot"), *guards)
        .values(
            booked=Slot.booked + 1,
            expected_shows_milli=Slot.expected_shows_milli + bindparam("shows"),
        )
        .execution_options(synchronize_session=False)
    )


TAKE_WITHIN_CAPACITY = _take(Slot.booked < Slot.capacity)
TAKE_OVERBOOKED = _take(
    Slot.booked < Slot.capacity + Slot.overbook_cap,
    Slot.expected_shows_milli + bindparam("shows") <= Slot.capacity * 1000 + bindparam("slack"),
)


async def take_place(
    db: AsyncSession, slot: Slot, show_probability: float, policy: OverbookPolicy
) -> tuple[bool, str]:
    """Take one place in a slot with a guarded UPDATE; return (overbooked, why) or raise SLOT_FULL.

    The WHERE clause is the guard: the database row lock makes it hold under any concurrency.
    """
    if slot.capacity == 0:
        raise _closed(slot)
    shows = round(show_probability * 1000)
    within = await db.execute(TAKE_WITHIN_CAPACITY, {"slot": slot.id, "shows": shows})
    if within.rowcount == 1:  # type: ignore[attr-defined]
        return False, ""
    slack = round(policy.max_expected_excess * 1000)
    over = await db.execute(TAKE_OVERBOOKED, {"slot": slot.id, "shows": shows, "slack": slack})
    if over.rowcount == 1:  # type: ignore[attr-defined]
        await db.refresh(slot)
        expected = slot.expected_shows_milli / 1000
        return True, (
            f"slot full ({slot.capacity}); expected arrivals {expected:.2f} "
            f"stay within capacity + {policy.max_expected_excess}"
        )
    raise Conflict("SLOT_FULL", "that slot is full", {"slot_id": slot.id})


def _closed(slot: Slot) -> Conflict:
    # Only an early close sets a slot's capacity to 0 (sessions have at least 1 per slot).
    return Conflict("SLOT_CLOSED", "the doctor is not working at that time", {"slot_id": slot.id})


async def release_place(db: AsyncSession, slot_id: int, show_probability: float) -> None:
    """Give a place back to its slot."""
    await db.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(
            booked=Slot.booked - 1,
            expected_shows_milli=Slot.expected_shows_milli - round(show_probability * 1000),
            # A closed slot's cap follows what it holds, so a freed place stays closed.
            overbook_cap=case((Slot.capacity == 0, Slot.overbook_cap - 1), else_=Slot.overbook_cap),
        )
        .execution_options(synchronize_session=False)
    )


async def issue_ticket(
    db: AsyncSession, appointment: Appointment, department: Department, now: datetime
) -> Ticket:
    """Give the appointment the next token of its department-day."""
    if appointment.id is None:
        await db.flush([appointment])
    # The counter row stays locked until commit: take it as late as possible.
    number = await next_token_number(db, department.id, appointment.day)
    ticket = Ticket(
        appointment_id=appointment.id,
        department_id=department.id,
        queue_department_id=department.id,
        day=appointment.day,
        number=number,
        token=format_token(department.token_prefix, number),
        doctor_id=appointment.doctor_id,
        arrived_at=now if appointment.status is TicketStatus.WAITING else None,
        created_at=now,
    )
    await insert_loaded(db, ticket)
    # Fill both sides of the pair by hand: assigning the relationship would make SQLAlchemy
    # load the appointment's (empty) ticket first, one more query on the booking path.
    set_committed_value(ticket, "appointment", appointment)
    set_committed_value(appointment, "ticket", ticket)
    return ticket


def check_patient_access(actor: Actor, patient_id: int) -> None:
    """Let patients act only for themselves and their dependants."""
    if not actor.may_act_for(patient_id):
        raise forbidden("patients can only book and see their own appointments")


async def book(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    choice: SlotChoice,
    now: datetime,
    urgency: Urgency = Urgency.ROUTINE,
    reason: str = "",
    scorer: Scorer = base_rate_scorer,
    policy: OverbookPolicy = OverbookPolicy(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> Ticket:
    """Book a slot for a patient and issue the ticket's token at once."""
    check_patient_access(actor, patient_id)
    check_urgency(actor, urgency)
    if choice.slot_id is None:  # resolving doctor + time takes its own queries
        await _patient(db, patient_id)
        slot_id = (await find_slot(db, choice, now)).id
    else:
        slot_id = choice.slot_id
    patient, slot, doctor = await _booking_target(db, patient_id, slot_id, now)
    check_horizon(slot.starts_at, now, horizon)
    no_show = await scorer(db, patient, doctor.department_id, slot.starts_at, now)
    overbooked, why = await take_place(db, slot, 1.0 - no_show, policy)
    appointment = Appointment(
        patient_id=patient.id,
        department_id=doctor.department_id,
        doctor_id=doctor.id,
        slot_id=slot.id,
        day=slot.starts_at.date(),
        scheduled_at=slot.starts_at,
        source=Source.ONLINE,
        urgency=urgency,
        reason=reason,
        status=TicketStatus.BOOKED,
        no_show_probability=no_show,
        overbooked=overbooked,
        overbook_reason=why,
        booked_at=now,
        updated_at=now,
    )
    await insert_loaded(db, appointment)
    set_committed_value(appointment, "patient", patient)
    ticket = await issue_ticket(db, appointment, doctor.department, now)
    # The audit row of common.audit, inserted at once: a flush at commit would hold the
    # token counter's lock through the unit of work.
    row = audit_row(
        actor,
        "book",
        appointment,
        to_status=TicketStatus.BOOKED,
        now=now,
        details={"slot_id": slot.id, "token": ticket.token, "overbooked": overbooked},
    )
    await insert_loaded(db, row)
    await publish(db, EventKind.BOOKED, ticket, now, new_ticket=True)
    return ticket


async def _patient(db: AsyncSession, patient_id: int) -> Patient:
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise not_found("patient", patient_id)
    return patient


# The patient, the slot with its doctor (who brings the department, joined) and the patient's
# live bookings of the slot, in one round trip; built once, like TAKE_*.
BOOKING_TARGET = (
    select(
        Patient,
        Slot,
        Doctor,
        select(func.count(Appointment.id))
        .where(
            Appointment.patient_id == bindparam("patient"),
            Appointment.slot_id == Slot.id,
            Appointment.status != TicketStatus.CANCELLED,
        )
        .scalar_subquery(),
    )
    .select_from(Slot)
    # Patients first: MySQL's compiler links only a join's direct sides when it checks for
    # cartesian products, and this ON clause names no slot column.
    .outerjoin(Patient, Patient.id == bindparam("patient"))
    .join(Doctor, Doctor.id == Slot.doctor_id)
    .where(Slot.id == bindparam("slot"))
)


async def _booking_target(
    db: AsyncSession, patient_id: int, slot_id: int, now: datetime
) -> tuple[Patient, Slot, Doctor]:
    """Load what a booking needs in one query and check it: 404, SLOT_IN_PAST, ALREADY_BOOKED."""
    found = await db.execute(BOOKING_TARGET, {"patient": patient_id, "slot": slot_id})
    row = found.one_or_none()
    if row is None:
        await _patient(db, patient_id)
        raise not_found("slot", slot_id)
    patient, slot, doctor, taken = row
    if patient is None:
        raise not_found("patient", patient_id)
    check_active(doctor)
    _check_not_started(slot, now)
    if taken:
        raise Conflict("ALREADY_BOOKED", "the patient already holds this slot")
    return patient, slot, doctor


async def register_walk_in(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    department_id: int,
    now: datetime,
    doctor_id: int | None = None,
    urgency: Urgency = Urgency.ROUTINE,
    reason: str = "",
    kind: EventKind = EventKind.WALK_IN,
    method: CheckinMethod = CheckinMethod.DESK,
    priority_category_id: int | None = None,
) -> Ticket:
    """Register a patient who came to the desk (or a kiosk); the ticket starts waiting (with a
    priority category if the desk chose one)."""
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise not_found("patient", patient_id)
    department = await db.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    if not department.active:
        raise Invalid("DEPARTMENT_INACTIVE", f"{department.name} is closed for good")
    if doctor_id is not None:
        await _check_doctor_today(db, doctor_id, department_id, now.date())
    appointment = Appointment(
        patient=patient,
        department_id=department_id,
        doctor_id=doctor_id,
        day=now.date(),
        source=Source.WALK_IN,
        urgency=urgency,
        reason=reason,
        status=TicketStatus.WAITING,
        booked_at=now,
        checked_in_at=now,
        checkin_method=method,
        updated_at=now,
    )
    await give_category(db, appointment, priority_category_id)
    db.add(appointment)
    ticket = await issue_ticket(db, appointment, department, now)
    details: dict[str, Any] = {
        "token": ticket.token,
        "urgency": urgency.value,
        "method": method.value,
    }
    if priority_category_id is not None:
        details["priority_category_id"] = priority_category_id
    audit(
        db,
        actor,
        kind.value,
        appointment,
        to_status=TicketStatus.WAITING,
        now=now,
        details=details,
    )
    await publish(db, kind, ticket, now, new_ticket=True)
    return ticket


async def _check_doctor_today(
    db: AsyncSession, doctor_id: int, department_id: int, day: date
) -> None:
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    if doctor.department_id != department_id:
        raise Invalid("DOCTOR_NOT_IN_DEPARTMENT", f"{doctor.name} works in another department")
    check_active(doctor)
    working = await db.scalar(
        select(func.count(DoctorSession.id)).where(
            DoctorSession.doctor_id == doctor_id, DoctorSession.day == day
        )
    )
    if not working:
        raise Invalid("NO_SESSION", f"{doctor.name} has no session today", {"day": day.isoformat()})


async def cancel(
    db: AsyncSession, actor: Actor, *, ticket_id: int, now: datetime, reason: str = ""
) -> Ticket:
    """Cancel a booking or a waiting ticket and give its slot place back."""
    ticket = await load_ticket(db, ticket_id)
    appointment = ticket.appointment
    check_patient_access(actor, appointment.patient_id)
    change_status(db, actor, ticket, TicketEvent.CANCEL, now, reason=reason)
    if appointment.slot_id is not None:
        await release_place(db, appointment.slot_id, 1.0 - (appointment.no_show_probability or 0.0))
    await publish(db, KIND_OF[TicketEvent.CANCEL], ticket, now)
    return ticket


async def reschedule(
    db: AsyncSession,
    actor: Actor,
    *,
    ticket_id: int,
    choice: SlotChoice,
    now: datetime,
    policy: OverbookPolicy = OverbookPolicy(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> Ticket:
    """Move a booking to another slot; a new day means a new token of that day."""
    ticket = await load_ticket(db, ticket_id)
    appointment = ticket.appointment
    check_patient_access(actor, appointment.patient_id)
    transition(appointment.status, TicketEvent.RESCHEDULE)  # only a booking not yet arrived
    slot = await find_slot(db, choice, now)
    check_horizon(slot.starts_at, now, horizon)
    if slot.id == appointment.slot_id:
        raise Conflict("ALREADY_BOOKED", "the booking is already in that slot")
    doctor = await db.get(Doctor, slot.doctor_id)
    if doctor is None:  # a foreign key: only a bug gets here
        raise RuntimeError(f"slot {slot.id} has no doctor {slot.doctor_id}")
    check_active(doctor)
    shows = 1.0 - (appointment.no_show_probability or 0.0)
    overbooked, why = await take_place(db, slot, shows, policy)
    old_slot, old_day = appointment.slot_id, appointment.day
    if old_slot is not None:
        await release_place(db, old_slot, shows)
    appointment.slot_id, appointment.doctor_id = slot.id, doctor.id
    appointment.department_id, appointment.scheduled_at = doctor.department_id, slot.starts_at
    appointment.day, appointment.overbooked, appointment.overbook_reason = (
        slot.starts_at.date(),
        overbooked,
        why,
    )
    appointment.updated_at = now
    ticket.doctor_id = doctor.id
    if appointment.day != old_day or doctor.department_id != ticket.department_id:
        await _renumber(db, ticket, await _department(db, doctor), appointment.day)
    audit(
        db,
        actor,
        "reschedule",
        appointment,
        now=now,
        details={"from_slot_id": old_slot, "to_slot_id": slot.id, "token": ticket.token},
    )
    await publish(db, EventKind.RESCHEDULED, ticket, now)
    return ticket


async def _renumber(db: AsyncSession, ticket: Ticket, department: Department, day: date) -> None:
    number = await next_token_number(db, department.id, day)
    ticket.department_id = ticket.queue_department_id = department.id
    ticket.day, ticket.number = day, number
    ticket.token = format_token(department.token_prefix, number)


async def _department(db: AsyncSession, doctor: Doctor) -> Department:
    # Not doctor.department: a doctor created in this session has it unloaded, and async
    # sessions cannot lazy-load.
    department = await db.get(Department, doctor.department_id)
    if department is None:  # a foreign key: only a bug gets here
        raise RuntimeError(f"doctor {doctor.id} has no department {doctor.department_id}")
    return department
