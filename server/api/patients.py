"""Patient records: register, find, read."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request
from quart_schema import validate_request
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.clinical import patient_history
from server.actions.patients import NewPatient, create_patient
from server.api.idempotency import Answer, created
from server.api.schemas import PatientIn
from server.api.views import note_out, patient_out, ticket_out, vitals_out
from server.auth.web import actor, requires
from server.errors import APIError, not_found
from server.models import Appointment, Patient, Ticket
from server.queue.tokens import parse_token
from server.services import clinic

bp = Blueprint("patients", __name__, url_prefix="/api/patients")


# `/` rather than backslash: MariaDB string literals treat a backslash as an escape too.
LIKE_ESCAPE = "/"


def contains(text: str) -> str:
    """Build a LIKE pattern that finds `text` literally: its `%` and `_` match only themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


@bp.post("")
@requires("patient.create")
@validate_request(PatientIn)
async def create(data: PatientIn) -> Answer:
    """Register a patient; a record number is made when none is given."""
    services, who = clinic(), actor()
    new = NewPatient(
        full_name=data.full_name,
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        phone=data.phone,
        email=str(data.email) if data.email else None,
        contact_preference=data.contact_preference,
        record_number=data.record_number,
        language=data.language,
    )
    return await created(lambda s: create_patient(s, who, new, now=services.clock()), patient_out)


@bp.get("")
@requires("patient.search")
async def search() -> dict[str, Any]:
    """Find patients by name, record number, phone or today's token."""
    q = request.args.get("q", "").strip()
    if not 2 <= len(q) <= 100:
        raise APIError(400, "BAD_QUERY", "type 2 to 100 characters", {"field": "q"})
    services = clinic()

    async def work(db: AsyncSession) -> list[Patient]:
        matches = [
            func.lower(Patient.full_name).like(contains(q.lower()), escape=LIKE_ESCAPE),
            Patient.record_number == q.upper(),
            Patient.phone == q,
        ]
        try:
            prefix, number = parse_token(q)
        except ValueError:
            pass
        else:  # "MRN-1001" reads like a token too: look for both
            todays = (
                select(Appointment.patient_id)
                .join(Ticket, Ticket.appointment_id == Appointment.id)
                .where(
                    Ticket.token == f"{prefix}-{number:03d}", Ticket.day == services.clock().date()
                )
            )
            matches.append(Patient.id.in_(todays))
        query = select(Patient).where(or_(*matches)).order_by(Patient.full_name).limit(25)
        return list(await db.scalars(query))

    return {"patients": [patient_out(p) for p in await services.read(work)]}


@bp.get("/<int:patient_id>")
@requires("patient.read")
async def read(patient_id: int) -> dict[str, Any]:
    """Read one patient record with their appointments."""
    services = clinic()

    async def work(db: AsyncSession) -> dict[str, Any]:
        patient = await db.get(Patient, patient_id)
        if patient is None:
            raise not_found("patient", patient_id)
        tickets = await db.scalars(
            select(Ticket)
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .where(Appointment.patient_id == patient_id)
            .order_by(Ticket.day.desc())
            .limit(20)
        )
        return {**patient_out(patient), "appointments": [ticket_out(t) for t in tickets.unique()]}

    return await services.read(work)


@bp.get("/<int:patient_id>/history")
@requires("note.read")
async def history(patient_id: int) -> dict[str, Any]:
    """Read a patient's recent vitals and consultation notes."""
    actor()
    vitals, notes = await clinic().read(lambda s: patient_history(s, patient_id))
    return {"vitals": [vitals_out(v) for v in vitals], "notes": [note_out(n) for n in notes]}
