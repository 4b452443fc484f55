"""The live queue: snapshots and every ticket transition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint
from quart_schema import validate_request
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.api.body import optional_request
from server.api.clinic import date_arg
from server.api.idempotency import Answer, created
from server.api.priority_schemas import CheckInIn
from server.api.schemas import CallIn, EmergencyIn, ReasonIn, TransferIn
from server.api.views import ticket_out
from server.auth.actor import Actor
from server.auth.web import actor, requires
from server.errors import APIError, not_found
from server.models import Ticket
from server.queries.queues import department_snapshot, ticket_snapshot
from server.services import clinic

bp = Blueprint("queue", __name__, url_prefix="/api")

Step = Callable[[AsyncSession, Actor, int], Awaitable[Ticket]]


@bp.get("/departments/<int:department_id>/queue")
@requires("queue.read")
async def department_queue(department_id: int) -> dict[str, Any]:
    """Show a department's live queues with positions and waits."""
    services = clinic()
    now = services.clock()
    day = date_arg("date", now.date())
    return await services.read(
        lambda s: department_snapshot(
            s,
            department_id,
            day,
            now,
            names=True,
            default_min=services.settings.default_consultation_min,
        )
    )


@bp.get("/tickets/<int:ticket_id>")
@requires("ticket.read")
async def read_ticket(ticket_id: int) -> dict[str, Any]:
    """Show one ticket as its patient sees it (patients: their own only)."""
    services, who = clinic(), actor()

    async def work(db: AsyncSession) -> dict[str, Any]:
        ticket = await db.get(Ticket, ticket_id)
        if ticket is None or not who.may_act_for(ticket.appointment.patient_id):
            raise not_found("ticket", ticket_id)
        return await ticket_snapshot(
            db, ticket_id, services.clock(), services.settings.default_consultation_min
        )

    return await services.read(work)


async def _run_step(ticket_id: int, step: Step) -> dict[str, Any]:
    services, who = clinic(), actor()
    return ticket_out(await services.run(lambda s: step(s, who, ticket_id)))


def _now() -> Any:
    return clinic().clock()


@bp.post("/tickets/<int:ticket_id>/check-in")
@requires("ticket.check_in")
@optional_request(CheckInIn)
async def check_in(ticket_id: int, data: CheckInIn) -> dict[str, Any]:
    """Check a booked patient in: they start waiting (in a priority category, if chosen)."""
    late = clinic().settings.checkin_late_min
    category = data.priority_category_id
    return await _run_step(
        ticket_id,
        lambda s, a, t: queue.check_in(
            s,
            a,
            ticket_id=t,
            now=_now(),
            late_after_min=late,
            priority_category_id=category,
        ),
    )


@bp.post("/tickets/<int:ticket_id>/start")
@requires("ticket.start")
async def start(ticket_id: int) -> dict[str, Any]:
    """Start the consultation of the called patient."""
    return await _run_step(ticket_id, lambda s, a, t: queue.start(s, a, ticket_id=t, now=_now()))


@bp.post("/tickets/<int:ticket_id>/complete")
@requires("ticket.complete")
async def complete(ticket_id: int) -> dict[str, Any]:
    """Complete the consultation."""
    return await _run_step(ticket_id, lambda s, a, t: queue.complete(s, a, ticket_id=t, now=_now()))


@bp.post("/tickets/<int:ticket_id>/recall")
@requires("ticket.recall")
async def recall(ticket_id: int) -> dict[str, Any]:
    """Call the same patient again."""
    return await _run_step(ticket_id, lambda s, a, t: queue.recall(s, a, ticket_id=t, now=_now()))


@bp.post("/tickets/<int:ticket_id>/skip")
@requires("ticket.skip")
@validate_request(ReasonIn)
async def skip(ticket_id: int, data: ReasonIn) -> dict[str, Any]:
    """The called patient did not come."""
    return await _run_step(
        ticket_id, lambda s, a, t: queue.skip(s, a, ticket_id=t, now=_now(), reason=data.reason)
    )


@bp.post("/tickets/<int:ticket_id>/no-show")
@requires("ticket.no_show")
@validate_request(ReasonIn)
async def no_show(ticket_id: int, data: ReasonIn) -> dict[str, Any]:
    """Mark the patient as not having come."""
    return await _run_step(
        ticket_id,
        lambda s, a, t: queue.mark_no_show(s, a, ticket_id=t, now=_now(), reason=data.reason),
    )


@bp.post("/tickets/<int:ticket_id>/requeue")
@requires("ticket.requeue")
@validate_request(ReasonIn)
async def requeue(ticket_id: int, data: ReasonIn) -> dict[str, Any]:
    """Put the ticket back in the queue."""
    return await _run_step(
        ticket_id, lambda s, a, t: queue.requeue(s, a, ticket_id=t, now=_now(), reason=data.reason)
    )


@bp.post("/tickets/<int:ticket_id>/cancel")
@requires("ticket.cancel")
@validate_request(ReasonIn)
async def cancel(ticket_id: int, data: ReasonIn) -> dict[str, Any]:
    """Cancel the ticket (the patient left, or the booking is withdrawn)."""
    return await _run_step(
        ticket_id, lambda s, a, t: booking.cancel(s, a, ticket_id=t, now=_now(), reason=data.reason)
    )


@bp.post("/tickets/<int:ticket_id>/transfer")
@requires("ticket.transfer")
@validate_request(TransferIn)
async def transfer(ticket_id: int, data: TransferIn) -> dict[str, Any]:
    """Send the patient to another doctor or department."""
    return await _run_step(
        ticket_id,
        lambda s, a, t: queue.transfer(
            s,
            a,
            ticket_id=t,
            now=_now(),
            to_doctor_id=data.to_doctor_id,
            to_department_id=data.to_department_id,
            reason=data.reason,
        ),
    )


def _doctor_for_call(who: Actor, requested: int | None) -> int:
    doctor_id = requested if requested is not None else who.doctor_id
    if doctor_id is None:
        raise APIError(422, "DOCTOR_REQUIRED", "give doctor_id")
    return doctor_id


@bp.post("/tickets/<int:ticket_id>/call")
@requires("ticket.call")
@validate_request(CallIn)
async def call(ticket_id: int, data: CallIn) -> dict[str, Any]:
    """Call one particular waiting patient."""
    services, who = clinic(), actor()
    doctor_id = _doctor_for_call(who, data.doctor_id)
    ticket = await services.run(
        lambda s: queue.call_ticket(
            s, who, ticket_id=ticket_id, doctor_id=doctor_id, now=services.clock()
        )
    )
    return ticket_out(ticket)


@bp.post("/doctors/<int:doctor_id>/call-next")
@requires("ticket.call")
async def call_next(doctor_id: int) -> dict[str, Any]:
    """Call the head of the doctor's queue."""
    services, who = clinic(), actor()
    ticket = await services.run(
        lambda s: queue.call_next(s, who, doctor_id=doctor_id, now=services.clock())
    )
    return ticket_out(ticket)


@bp.post("/emergencies")
@requires("ticket.emergency")
@validate_request(EmergencyIn)
async def emergency(data: EmergencyIn) -> Answer:
    """Insert an emergency at the head of a department's (or a doctor's) queue."""
    services, who = clinic(), actor()
    return await created(
        lambda s: queue.insert_emergency(
            s,
            who,
            now=services.clock(),
            department_id=data.department_id,
            patient_id=data.patient_id,
            ticket_id=data.ticket_id,
            doctor_id=data.doctor_id,
            reason=data.reason,
        ),
        ticket_out,
    )
