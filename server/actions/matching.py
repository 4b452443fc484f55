"""Find the record a person already has: name, date of birth and a contact they proved."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.codes import normal_name
from server.errors import Conflict
from server.models import Patient


def ask_the_desk(reason: str) -> Conflict:
    """Build the refusal of a match the clinic must settle in person."""
    return Conflict(
        "ASK_THE_DESK",
        "we could not be sure which record is yours; please ask the desk to link it",
        {"reason": reason},
    )


async def match_patient(
    db: AsyncSession,
    *,
    full_name: str,
    date_of_birth: date,
    phone: str | None,
    email: str | None,
) -> Patient | None:
    """Return the one record with this name, birth date and contact; None if there is none.

    409 ASK_THE_DESK when several match, or when a record has the name and birth date but
    none of the contacts: linking it would hand a stranger's record over, creating a new one
    would duplicate the person.
    """
    name = normal_name(full_name)
    email = email.lower() if email else None
    contacts: list[ColumnElement[bool]] = [Patient.phone == phone] if phone else []
    if email:
        contacts.append(func.lower(Patient.email) == email)
    # The birth date narrows; name or contact finds. Names are compared folded, in Python.
    last = "".join(ch for ch in (name.split() or [""])[-1] if ch not in "%_\\")
    if last:
        contacts.append(func.lower(Patient.full_name).like(f"%{last}%"))
    found = await db.scalars(
        select(Patient)
        .where(Patient.date_of_birth == date_of_birth, or_(false(), *contacts))
        .order_by(Patient.id)
        .limit(50)
    )
    same_name = [p for p in found if normal_name(p.full_name) == name]
    proved = [
        p
        for p in same_name
        if (phone and p.phone == phone) or (email and (p.email or "").lower() == email)
    ]
    if len(proved) > 1:
        raise ask_the_desk("several records match")
    if proved:
        return proved[0]
    if same_name:
        raise ask_the_desk("a record with this name and date of birth has other contacts")
    return None
