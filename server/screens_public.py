"""The screens opened without a staff login: the TV board and the patient's phone page."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from quart import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from quart.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.errors import http_status
from server.auth.secrets import read_ticket_link
from server.auth.web import current_actor, public
from server.config import PROJECT_ROOT
from server.errors import DomainError
from server.models import Appointment, Role, Ticket
from server.queries.visit import visit_of
from server.queue.state import TicketStatus
from server.state import clinic

bp = Blueprint("screens_public", __name__)

DISPLAYS = PROJECT_ROOT / "displays"
BOARD_FILES = frozenset({"board.js", "board.css"})
FINISHED = (TicketStatus.COMPLETED, TicketStatus.CANCELLED)
# Board and patient URLs carry secrets (a display key, a ticket link): never leak them onward.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.app_template_filter("clinic_time")
def clinic_time(moment: datetime | None, with_day: bool = False) -> str:
    """Show a time as the clinic's clocks do ("10:15"; "Mon 30 Nov, 10:15" on another day)."""
    if moment is None:
        return ""
    state = clinic()
    zone = ZoneInfo(state.settings.timezone)
    local = moment.astimezone(zone)
    if with_day and local.date() != state.clock().astimezone(zone).date():
        return local.strftime("%a %d %b, %H:%M")
    return local.strftime("%H:%M")


@bp.get("/board")
@public
async def board() -> ResponseReturnValue:
    """Show the TV board; its display key comes in the query string (?key=dk_…)."""
    if not request.args.get("key"):
        return redirect("/tv")  # the page that says how a board gets its key
    response = await send_from_directory(DISPLAYS, "board.html")
    response.headers.update(PRIVATE)
    return response


@bp.get("/displays/<name>")
@public
async def board_asset(name: str) -> Response:
    """Serve the board's own script and style."""
    if name not in BOARD_FILES:
        abort(404)
    return await send_from_directory(DISPLAYS, name)


async def _patient_page(status: int = 200, **context: object) -> tuple[str, int, dict[str, str]]:
    name = clinic().settings.clinic_name
    return await render_template("patient.html", clinic_name=name, **context), status, PRIVATE


async def _ticket_page(shown: int, **context: object) -> tuple[str, int, dict[str, str]]:
    """Show a ticket's live page with its appointment: time, doctor, room, check-in from."""
    state = clinic()
    early = state.settings.check_in_early_min
    visit = await state.read(lambda s: visit_of(s, shown, early))
    return await _patient_page(200, visit=visit, **context)


@bp.get("/t/<link>")
@public
async def ticket_link(link: str) -> tuple[str, int, dict[str, str]]:
    """Show a patient their ticket from the signed link they were sent; no password needed."""
    settings = clinic().settings
    try:
        ticket_id = read_ticket_link(settings.secret_key, link, settings.ticket_link_hours * 3600)
    except DomainError as error:
        return await _patient_page(http_status(error), problem=error.message)
    return await _ticket_page(ticket_id, link=link)


async def todays_ticket(session: AsyncSession, patient_id: int, day: date) -> int | None:
    """Return the patient's ticket of today that is still going on (the latest), if any."""
    return await session.scalar(
        select(Ticket.id)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Appointment.patient_id == patient_id,
            Ticket.day == day,
            Appointment.status.not_in(FINISHED),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


@bp.get("/my")
@public
async def my_ticket() -> ResponseReturnValue:
    """Show the logged-in patient their ticket of today."""
    actor = await current_actor()
    if actor is None:
        return redirect("/login?next=/my")
    if actor.role is not Role.PATIENT or actor.patient_id is None:
        return await _patient_page(403, problem="This page shows a patient's own ticket.")
    state, patient_id = clinic(), actor.patient_id
    ticket_id = await state.read(lambda s: todays_ticket(s, patient_id, state.clock().date()))
    if ticket_id is None:
        return redirect("/my/visits")  # no visit today: the list of visits says what is next
    return await _ticket_page(ticket_id, ticket_id=ticket_id)
