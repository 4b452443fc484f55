"""Checking in without the desk: the patient's phone (with the board's code) and the kiosk."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.booking import register_walk_in
from server.actions.common import load_ticket
from server.actions.queue import check_in
from server.auth.actor import Actor
from server.auth.secrets import digest
from server.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated, not_found
from server.events import iso
from server.models import Appointment, Department, Display, DisplayKind, Patient, Role, Ticket
from server.models.appointments import CheckinMethod
from server.queue.checkin import Arrival, CheckinRules, arrival, code_accepted, code_for, period_of
from server.queue.checkin import window as checkin_window
from server.queue.state import TicketStatus

# How far back a refused code is recognised as one the board showed earlier ("stale").
STALE_PERIODS = 24


def check_code(
    secret: str, department_id: int, code: str, now: datetime, rules: CheckinRules
) -> None:
    """Refuse a code that is not the board's current or previous one (stale or wrong: 422)."""
    if code_accepted(secret, department_id, code, now, rules):
        return
    period = period_of(now, rules.period_s)
    for back in range(2, STALE_PERIODS):
        if code == code_for(secret, department_id, period - back, rules.digits):
            raise Invalid(
                "CHECKIN_CODE_STALE",
                "that code has changed: type the one the waiting-room screen shows now",
            )
    raise Invalid("CHECKIN_CODE_WRONG", "that is not the code on the waiting-room screen")


async def self_check_in(
    db: AsyncSession,
    actor: Actor,
    *,
    ticket_id: int,
    code: str,
    now: datetime,
    secret: str,
    rules: CheckinRules,
) -> Ticket:
    """Check a patient in from their phone, proved present by the board's code.

    Too early is refused with the time "I'm here" opens; late is checked in as late.
    """
    ticket = await load_ticket(db, ticket_id)
    appointment = ticket.appointment
    if actor.role is Role.PATIENT and actor.patient_id != appointment.patient_id:
        raise not_found("ticket", ticket_id)
    check_code(secret, ticket.queue_department_id, code, now, rules)
    if appointment.status is TicketStatus.BOOKED and ticket.day == now.date():
        when = arrival(appointment.scheduled_at, now, rules)
        if when is Arrival.EARLY and appointment.scheduled_at is not None:
            opens, _ = checkin_window(appointment.scheduled_at, rules)
            raise Invalid(
                "CHECKIN_TOO_EARLY",
                f"you can check in from {rules.early_min} minutes before your appointment",
                {"opens_at": iso(opens)},
            )
    return await check_in(
        db,
        actor,
        ticket_id=ticket_id,
        now=now,
        method=CheckinMethod.PHONE,
        late_after_min=rules.late_min,
    )


async def kiosk_display(db: AsyncSession, key: str) -> Display:
    """Return the kiosk a display key opens; 401 for an unknown key or one of a board."""
    display = await db.scalar(select(Display).where(Display.key_hash == digest(key)))
    if display is None or display.kind is not DisplayKind.KIOSK:
        raise Unauthenticated("KIOSK_KEY_INVALID", "this is not a kiosk's key")
    return display


def digits_of(text: str) -> str:
    """Return the digits of a phone number as typed ("+55 (27) 9…" → "5527…")."""
    return re.sub(r"\D", "", text)


def same_phone(stored: str | None, typed: str) -> bool:
    """Tell whether a typed number is the stored one, with or without its country code."""
    have, want = digits_of(stored or ""), digits_of(typed)
    if len(want) < 6 or not have:
        return False
    return have == want or (len(want) >= 8 and have.endswith(want))


async def find_patient(
    db: AsyncSession,
    *,
    record_number: str | None = None,
    phone: str | None = None,
    date_of_birth: date | None = None,
) -> Patient:
    """Find a patient by record number, or by phone and date of birth; 404 or 409 otherwise."""
    missing = NotFound(
        "PATIENT_NOT_FOUND", "we could not find you: please check what you typed, or see the desk"
    )
    if record_number:
        typed = record_number.strip()
        # As typed, or in capitals (record numbers are "MRN-1040"): both use the unique index.
        patient = await db.scalar(
            select(Patient).where(Patient.record_number.in_({typed, typed.upper()})).limit(1)
        )
        if patient is None:
            raise missing
        return patient
    if not phone or date_of_birth is None:
        raise Invalid("IDENTITY_REQUIRED", "give the record number, or phone and date of birth")
    born = (await db.scalars(select(Patient).where(Patient.date_of_birth == date_of_birth))).all()
    found = [p for p in born if same_phone(p.phone, phone)]
    if not found:
        raise missing
    if len(found) > 1:
        raise Conflict("PATIENT_AMBIGUOUS", "more than one record matches: please see the desk")
    return found[0]


def kiosk_actor(display: Display, patient: Patient) -> Actor:
    """Act for the patient at the kiosk: a patient's rights, named after the kiosk."""
    return Actor(
        user_id=None, role=Role.PATIENT, name=f"kiosk {display.name}", patient_id=patient.id
    )


async def kiosk_check_in(
    db: AsyncSession,
    display: Display,
    patient: Patient,
    *,
    now: datetime,
    rules: CheckinRules,
) -> Ticket:
    """Check in the patient's next booking of today (the kiosk's department, if it has one)."""
    query = (
        select(Ticket.id)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == TicketStatus.BOOKED,
            Ticket.day == now.date(),
        )
        .order_by(Appointment.scheduled_at, Ticket.id)
        .limit(1)
    )
    if display.department_id is not None:
        query = query.where(Ticket.queue_department_id == display.department_id)
    ticket_id = await db.scalar(query)
    if ticket_id is None:
        raise NotFound(
            "BOOKING_NOT_FOUND", "you have no booking to check in today: please see the desk"
        )
    return await check_in(
        db,
        kiosk_actor(display, patient),
        ticket_id=ticket_id,
        now=now,
        method=CheckinMethod.KIOSK,
        late_after_min=rules.late_min,
        details={"display_id": display.id},
    )


async def kiosk_walk_in(
    db: AsyncSession,
    display: Display,
    patient: Patient,
    *,
    department_id: int,
    now: datetime,
) -> Ticket:
    """Give the patient a walk-in ticket for a department (the kiosk's own, if it has one)."""
    if display.department_id is not None and department_id != display.department_id:
        raise Forbidden("WRONG_DEPARTMENT", "this kiosk gives tickets for its own department only")
    if await db.get(Department, department_id) is None:
        raise not_found("department", department_id)
    return await register_walk_in(
        db,
        kiosk_actor(display, patient),
        patient_id=patient.id,
        department_id=department_id,
        now=now,
        method=CheckinMethod.KIOSK,
        reason="walk-in at the kiosk",
    )
