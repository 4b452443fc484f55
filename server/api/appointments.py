"""Booking, walk-ins, cancelling and rescheduling."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.api.idempotency import Answer, created
from server.api.schemas import BookingIn, ReasonIn, RescheduleIn, Strict, WalkInIn
from server.api.views import ticket_out
from server.auth.secrets import sign_ticket
from server.auth.web import actor, requires
from server.errors import APIError, forbidden, not_found
from server.models import Appointment, Ticket
from server.services import clinic

bp = Blueprint("appointments", __name__, url_prefix="/api")


def with_link(ticket: Ticket) -> dict[str, Any]:
    """Show a ticket with the patient's signed live link."""
    settings = clinic().settings
    link = f"{settings.public_url}/t/{sign_ticket(settings.secret_key, ticket.id)}"
    return {**ticket_out(ticket), "live_link": link}


async def ticket_of_appointment(db: AsyncSession, appointment_id: int) -> int:
    """Return the ticket id of an appointment, checking the caller may see it."""
    row = (
        await db.execute(
            select(Ticket.id, Appointment.patient_id)
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .where(Appointment.id == appointment_id)
        )
    ).one_or_none()
    if row is None:
        raise not_found("appointment", appointment_id)
    who = actor()
    if not who.may_act_for(row.patient_id):
        raise not_found("appointment", appointment_id)  # do not even confirm it exists
    return int(row.id)


@bp.post("/appointments")
@requires("appointment.book")
@validate_request(BookingIn)
async def book(data: BookingIn) -> Answer:
    """Book a slot; the answer carries the token and the live link."""
    services, who = clinic(), actor()
    patient_id = data.patient_id if data.patient_id is not None else who.patient_id
    if patient_id is None:
        raise APIError(422, "PATIENT_REQUIRED", "give patient_id")
    choice = SlotChoice(data.slot_id, data.doctor_id, data.starts_at)
    return await created(
        lambda s: booking.book(
            s,
            who,
            patient_id=patient_id,
            choice=choice,
            now=services.clock(),
            urgency=data.urgency,
            reason=data.reason,
            scorer=services.scorer,
            policy=services.overbooking,
            horizon=services.settings.booking_horizon,
        ),
        with_link,
    )


class MineQuery(Strict):
    patient_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="a dependant's; default: the caller's own"
    )


@bp.get("/appointments")
@requires("appointment.read")
@validate_querystring(MineQuery)
async def mine(query_args: MineQuery) -> dict[str, Any]:
    """List the logged-in patient's appointments, or a dependant's (staff: the patient routes)."""
    who = actor()
    if who.patient_id is None:
        raise forbidden("only patients have their own appointments list")
    patient_id = query_args.patient_id or who.patient_id
    if not who.may_act_for(patient_id):
        raise not_found("patient", patient_id)  # another's dependant: not even whether it exists
    rows = await clinic().read(
        lambda s: s.scalars(
            select(Ticket)
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .where(Appointment.patient_id == patient_id)
            .order_by(Ticket.day.desc(), Ticket.id.desc())
        )
    )
    return {"appointments": [with_link(t) for t in rows.unique()]}


@bp.get("/appointments/<int:appointment_id>")
@requires("appointment.read")
async def read(appointment_id: int) -> dict[str, Any]:
    """Read one appointment (patients: their own only)."""
    services = clinic()

    async def work(db: AsyncSession) -> Ticket:
        ticket = await db.get(Ticket, await ticket_of_appointment(db, appointment_id))
        if ticket is None:  # deleted since it was found
            raise not_found("appointment", appointment_id)
        return ticket

    return with_link(await services.read(work))


@bp.post("/appointments/<int:appointment_id>/cancel")
@requires("appointment.cancel")
@validate_request(ReasonIn)
async def cancel(appointment_id: int, data: ReasonIn) -> dict[str, Any]:
    """Cancel an appointment; its place returns to the slot."""
    services, who = clinic(), actor()

    async def work(db: AsyncSession) -> Ticket:
        ticket_id = await ticket_of_appointment(db, appointment_id)
        return await booking.cancel(
            db, who, ticket_id=ticket_id, now=services.clock(), reason=data.reason
        )

    return ticket_out(await services.run(work))


@bp.post("/appointments/<int:appointment_id>/reschedule")
@requires("appointment.reschedule")
@validate_request(RescheduleIn)
async def reschedule(appointment_id: int, data: RescheduleIn) -> dict[str, Any]:
    """Move an appointment to another slot."""
    services, who = clinic(), actor()
    choice = SlotChoice(data.slot_id, data.doctor_id, data.starts_at)

    async def work(db: AsyncSession) -> Ticket:
        ticket_id = await ticket_of_appointment(db, appointment_id)
        return await booking.reschedule(
            db,
            who,
            ticket_id=ticket_id,
            choice=choice,
            now=services.clock(),
            policy=services.overbooking,
            horizon=services.settings.booking_horizon,
        )

    return with_link(await services.run(work))


@bp.post("/walk-ins")
@requires("walk_in.register")
@validate_request(WalkInIn)
async def walk_in(data: WalkInIn) -> Answer:
    """Register a walk-in at the desk; the answer carries the token to hand over."""
    services, who = clinic(), actor()
    return await created(
        lambda s: booking.register_walk_in(
            s,
            who,
            patient_id=data.patient_id,
            department_id=data.department_id,
            now=services.clock(),
            doctor_id=data.doctor_id,
            urgency=data.urgency,
            reason=data.reason,
            priority_category_id=data.priority_category_id,
        ),
        with_link,
    )
