"""Registering patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.actions.records import assign_record_number, provisional_number
from server.auth.actor import Actor
from server.errors import Conflict
from server.models import ContactPreference, Patient


@dataclass(frozen=True, slots=True)
class NewPatient:
    """What the desk or the API knows about a new patient."""

    full_name: str
    date_of_birth: date
    sex: str
    phone: str | None = None
    email: str | None = None
    contact_preference: ContactPreference = ContactPreference.SMS
    record_number: str | None = None
    language: str = "en"


async def create_patient(
    db: AsyncSession, actor: Actor, new: NewPatient, *, now: datetime
) -> Patient:
    """Register a patient; a record number is made when none is given (409 if it is taken).

    The unique index decides, not a SELECT first: two desks registering the same record
    number at once get one 201 and one 409, never a 500.
    """
    number = new.record_number or provisional_number()
    patient = Patient(
        record_number=number,
        full_name=new.full_name,
        date_of_birth=new.date_of_birth,
        sex=new.sex,
        phone=new.phone,
        email=new.email,
        contact_preference=new.contact_preference,
        language=new.language,
        created_at=now,
    )
    try:
        async with db.begin_nested():
            db.add(patient)
    except IntegrityError:
        raise Conflict(
            "RECORD_NUMBER_TAKEN",
            f"record number {number} is taken",
            {"record_number": number},
        ) from None
    if new.record_number is None:
        number = await assign_record_number(db, patient)
    audit(
        db,
        actor,
        "patient.create",
        None,
        details={"patient_id": patient.id, "record_number": number},
        now=now,
    )
    return patient
