"""Record numbers made here look like the seeded and imported ones: MRN- and a number."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Patient

PREFIX = "MRN-"
# Patient 1 gets MRN-1000, as the demo's first patient does: the desk continues that series.
FIRST_NUMBER = 1000


def record_number(patient_id: int) -> str:
    """Return the record number of a patient row: unique because its id is."""
    return f"{PREFIX}{FIRST_NUMBER + patient_id - 1}"


def provisional_number() -> str:
    """Return a unique stand-in, held only until the row's id is known (same transaction)."""
    return f"new-{secrets.token_hex(8)}"


async def assign_record_number(db: AsyncSession, patient: Patient) -> str:
    """Give a flushed patient the number of their id (a suffix if an import took it)."""
    base = record_number(patient.id)
    taken = set(
        await db.scalars(
            select(Patient.record_number).where(Patient.record_number.like(f"{base}%"))
        )
    )
    number, suffix = base, 1
    while number in taken:
        suffix += 1
        number = f"{base}-{suffix}"
    patient.record_number = number
    await db.flush()
    return number
