"""Vitals taken by nurses and notes written by doctors."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.auth.actor import Actor
from server.errors import Invalid, not_found
from server.models import Appointment, ConsultationNote, Vitals

# Plausible ranges: wider than healthy, narrower than a typing slip (37.5 typed as 375).
RANGES: dict[str, tuple[float, float]] = {
    "temperature_c": (30.0, 45.0),
    "pulse_bpm": (20, 250),
    "systolic_mmhg": (50, 260),
    "diastolic_mmhg": (20, 160),
    "spo2_pct": (50, 100),
    "height_cm": (30.0, 250.0),
    "weight_kg": (1.0, 400.0),
}


@dataclass(frozen=True, slots=True)
class VitalSigns:
    """One set of measurements; any may be missing."""

    temperature_c: float | None = None
    pulse_bpm: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    spo2_pct: int | None = None
    height_cm: float | None = None
    weight_kg: float | None = None


def implausible(signs: VitalSigns) -> dict[str, str]:
    """Return a message per field that lies outside its plausible range."""
    problems: dict[str, str] = {}
    for field in fields(signs):
        value = getattr(signs, field.name)
        low, high = RANGES[field.name]
        if value is not None and not low <= value <= high:
            problems[field.name] = f"{value} is outside {low} to {high}"
    if (
        signs.systolic_mmhg is not None
        and signs.diastolic_mmhg is not None
        and signs.diastolic_mmhg >= signs.systolic_mmhg
    ):
        problems["diastolic_mmhg"] = "diastolic must be below systolic"
    if all(getattr(signs, f.name) is None for f in fields(signs)):
        problems["vitals"] = "record at least one measurement"
    return problems


async def record_vitals(
    db: AsyncSession, actor: Actor, *, appointment_id: int, signs: VitalSigns, now: datetime
) -> Vitals:
    """Record vitals for a visit; refuse implausible values with VITALS_OUT_OF_RANGE."""
    if await db.get(Appointment, appointment_id) is None:
        raise not_found("appointment", appointment_id)
    problems = implausible(signs)
    if problems:
        raise Invalid("VITALS_OUT_OF_RANGE", "some measurements are not plausible", problems)
    values = {f.name: getattr(signs, f.name) for f in fields(signs)}
    vitals = Vitals(
        appointment_id=appointment_id, recorded_by=actor.user_id, recorded_at=now, **values
    )
    db.add(vitals)
    appointment = await db.get(Appointment, appointment_id)
    audit(
        db,
        actor,
        "vitals",
        appointment,
        details={"fields": sorted(k for k, v in values.items() if v is not None)},
        now=now,
    )
    await db.flush()
    return vitals


async def write_note(
    db: AsyncSession, actor: Actor, *, appointment_id: int, text: str, now: datetime
) -> ConsultationNote:
    """Add a doctor's note to a visit."""
    appointment = await db.get(Appointment, appointment_id)
    if appointment is None:
        raise not_found("appointment", appointment_id)
    if not text.strip():
        raise Invalid("EMPTY_NOTE", "a note needs some text")
    note = ConsultationNote(
        appointment_id=appointment_id,
        patient_id=appointment.patient_id,
        author_id=actor.user_id,
        created_at=now,
        text=text,
    )
    db.add(note)
    audit(db, actor, "note", appointment, now=now)
    await db.flush()
    return note


async def patient_history(
    db: AsyncSession, patient_id: int, limit: int = 10
) -> tuple[list[Vitals], list[ConsultationNote]]:
    """Return a patient's latest vitals and notes, newest first, for the doctor's console."""
    vitals = await db.scalars(
        select(Vitals)
        .join(Appointment, Vitals.appointment_id == Appointment.id)
        .where(Appointment.patient_id == patient_id)
        .order_by(Vitals.recorded_at.desc())
        .limit(limit)
    )
    notes = await db.scalars(
        select(ConsultationNote)
        .where(ConsultationNote.patient_id == patient_id)
        .order_by(ConsultationNote.created_at.desc())
        .limit(limit)
    )
    return list(vitals), list(notes)
