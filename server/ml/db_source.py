"""Read appointment history for the no-show model from the project's own database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.ml.features import ApptRecord
from server.models.appointments import Appointment
from server.queue.state import TicketStatus

# Statuses that prove the patient came; NO_SHOW proves they did not.
_CAME = frozenset(
    {
        TicketStatus.WAITING,
        TicketStatus.CALLED,
        TicketStatus.IN_CONSULTATION,
        TicketStatus.COMPLETED,
    }
)


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _outcome(status: TicketStatus) -> bool | None:
    if status == TicketStatus.NO_SHOW:
        return True
    return False if status in _CAME else None


def to_record(appt: Appointment) -> ApptRecord:
    """Describe an appointment (with its patient loaded) for the no-show model."""
    scheduled = appt.scheduled_at
    return ApptRecord(
        patient_key=str(appt.patient_id),
        appointment_key=str(appt.id),
        booked_at=appt.booked_at,
        appointment_day=appt.day,
        # Stored in UTC; the hour is a feature, so a clinic far from UTC shifts it uniformly.
        appointment_time=None if scheduled is None else scheduled.time(),
        age=_age(appt.patient.date_of_birth, appt.day),
        sex=appt.patient.sex or None,
        department=str(appt.department_id),
        # Reminders, conditions and welfare status are not recorded yet: all stay False.
        no_show=_outcome(appt.status),
    )


async def load_history_from_db(db: AsyncSession) -> list[ApptRecord]:
    """Load every non-cancelled appointment; open ones have no outcome (no_show None)."""
    rows = await db.scalars(select(Appointment).where(Appointment.status != TicketStatus.CANCELLED))
    return [to_record(a) for a in rows.unique()]
