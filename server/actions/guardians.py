"""Guardians: a login that acts for dependants (a parent for a child), and their preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.actions.matching import match_patient
from server.actions.patients import NewPatient, create_patient
from server.auth.actor import Actor
from server.errors import Conflict, Forbidden, Invalid, not_found
from server.i18n import LANGUAGES
from server.models import ContactPreference, Guardianship, Patient, Role, User

MAX_DEPENDANTS = 12


@dataclass(frozen=True, slots=True)
class NewDependant:
    """What a guardian says about a dependant."""

    full_name: str
    date_of_birth: date
    sex: str


async def _link(
    db: AsyncSession, actor: Actor, user_id: int, patient: Patient, now: datetime
) -> None:
    """Let `user_id` act for `patient` (once: the unique index refuses a second link)."""
    count = await db.scalar(
        select(func.count(Guardianship.id)).where(Guardianship.user_id == user_id)
    )
    if (count or 0) >= MAX_DEPENDANTS:
        raise Invalid(
            "TOO_MANY_DEPENDANTS",
            f"one account holds at most {MAX_DEPENDANTS} dependants; ask the desk",
            {"max": MAX_DEPENDANTS},
        )
    try:
        async with db.begin_nested():
            db.add(Guardianship(user_id=user_id, patient_id=patient.id, created_at=now))
    except IntegrityError:
        raise Conflict("ALREADY_DEPENDANT", "this patient is already on the account") from None
    details = {"user_id": user_id, "patient_id": patient.id}
    audit(db, actor, "guardian.add", None, details=details, now=now)


async def add_dependant(
    db: AsyncSession, actor: Actor, *, new: NewDependant, now: datetime
) -> Patient:
    """Add a dependant to a patient's login: their record if it shares the guardian's contact.

    Otherwise a new record with the guardian's contact. 409 ASK_THE_DESK when a record has
    the name and birth date but another contact.
    """
    if actor.role is not Role.PATIENT or actor.patient_id is None or actor.user_id is None:
        raise Forbidden("FORBIDDEN", "only a patient's own login holds dependants")
    guardian = await db.get(Patient, actor.patient_id)
    if guardian is None:
        raise not_found("patient", actor.patient_id)
    found = await match_patient(
        db,
        full_name=new.full_name,
        date_of_birth=new.date_of_birth,
        phone=guardian.phone,
        email=guardian.email,
    )
    if found is not None and found.id == guardian.id:
        raise Conflict("SELF_AS_DEPENDANT", "this is the account holder's own record")
    patient = found or await create_patient(
        db,
        actor,
        NewPatient(
            full_name=new.full_name,
            date_of_birth=new.date_of_birth,
            sex=new.sex,
            phone=guardian.phone,
            email=guardian.email,
            contact_preference=guardian.contact_preference,
        ),
        now=now,
    )
    if found is None:
        patient.language = guardian.language
    await _link(db, actor, actor.user_id, patient, now)
    return patient


async def link_guardian(
    db: AsyncSession, actor: Actor, *, patient_id: int, user_id: int, now: datetime
) -> Patient:
    """Let a patient login act for this patient (the desk settles what sign-up could not)."""
    patient = await db.get(Patient, patient_id)
    if patient is None:
        raise not_found("patient", patient_id)
    user = await db.get(User, user_id)
    if user is None or user.role is not Role.PATIENT:
        raise not_found("patient_login", user_id)
    if patient.user_id == user_id:
        raise Conflict("SELF_AS_DEPENDANT", "this is the login's own record")
    await _link(db, actor, user_id, patient, now)
    return patient


async def people_of(db: AsyncSession, actor: Actor) -> list[Patient]:
    """Return the patients a login acts for: its own record first, then its dependants."""
    ids = actor.acts_for()
    if not ids:
        return []
    rows = {p.id: p for p in await db.scalars(select(Patient).where(Patient.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


async def set_preferences(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    now: datetime,
    contact_preference: ContactPreference | None = None,
    language: str | None = None,
) -> Patient:
    """Choose how a patient is told (SMS, e-mail, none) and in which language."""
    if not actor.may_act_for(patient_id):
        raise not_found("patient", patient_id)  # another's dependant: not even whether it exists
    patient = await db.get(Patient, patient_id, with_for_update=True)
    if patient is None:
        raise not_found("patient", patient_id)
    if contact_preference is ContactPreference.SMS and not patient.phone:
        raise Invalid("NO_PHONE", "there is no phone number on the record; ask the desk")
    if contact_preference is ContactPreference.EMAIL and not patient.email:
        raise Invalid("NO_EMAIL", "there is no e-mail address on the record; ask the desk")
    if language is not None and language not in LANGUAGES:
        raise Invalid("UNKNOWN_LANGUAGE", f"language must be one of {list(LANGUAGES)}")
    before = {"contact_preference": patient.contact_preference.value, "language": patient.language}
    if contact_preference is not None:
        patient.contact_preference = contact_preference
    if language is not None:
        patient.language = language
        if patient.user_id is not None and patient.user_id == actor.user_id:
            user = await db.get(User, actor.user_id)
            if user is not None:
                user.language = language
    after = {"contact_preference": patient.contact_preference.value, "language": patient.language}
    details = {"patient_id": patient.id, "before": before, "after": after}
    audit(db, actor, "patient.preferences", None, details=details, now=now)
    return patient
