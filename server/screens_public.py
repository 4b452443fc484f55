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
    render_template_string,
    request,
    send_from_directory,
)
from quart.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import i18n, language
from server.api.errors import http_status
from server.auth.secrets import digest, read_ticket_link
from server.auth.web import current_actor, public
from server.config import PROJECT_ROOT
from server.errors import DomainError
from server.models import Appointment, Display, Patient, Role, Ticket
from server.queries.visit import Visit, visit_of
from server.queue.state import TicketStatus
from server.services import clinic

bp = Blueprint("screens_public", __name__)

DISPLAYS = PROJECT_ROOT / "displays"
BOARD_FILES = frozenset({"board.js", "board.css"})
FINISHED = (TicketStatus.COMPLETED, TicketStatus.CANCELLED)
# Board and patient URLs carry secrets (a display key, a ticket link): never leak them onward.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
BOARD_PAGE = (DISPLAYS / "board.html").read_text(encoding="utf-8")
# What the phone page says when a link cannot show a ticket, by the refusal's code.
PROBLEMS = {
    "LINK_EXPIRED": i18n.N_("This link has expired: ask the desk for a new one, or log in."),
    "LINK_INVALID": i18n.N_("This link is not valid: ask the desk for a new one, or log in."),
}


@bp.app_template_filter("clinic_time")
def clinic_time(moment: datetime | None, with_day: bool = False) -> str:
    """Show a time as the clinic's clocks do, in the page's language ("10:15"; with the day
    on another day: "Mon, Nov 30, 10:15", "seg., 30 de nov., 10:15")."""
    if moment is None:
        return ""
    services = clinic()
    zone = ZoneInfo(services.settings.timezone)
    local = moment.astimezone(zone)
    if with_day and local.date() != services.clock().astimezone(zone).date():
        return i18n.format_day_time(local)
    return i18n.format_time(local)


@bp.get("/board")
@public
async def board() -> ResponseReturnValue:
    """Show the TV board; its display key comes in the query string (?key=dk_…)."""
    key = request.args.get("key")
    if not key:
        return redirect("/tv")  # the page that says how a board gets its key
    # The board shows and speaks its display's language (`&lang=` in the address overrides).
    shown = await clinic().read(
        lambda s: s.scalar(select(Display.language).where(Display.key_hash == digest(key)))
    )
    if i18n.supported(shown) and not i18n.supported(request.args.get("lang")):
        i18n.set_current(shown or i18n.DEFAULT_LANGUAGE)  # before a switch's cookie: a TV's
    return await render_template_string(BOARD_PAGE), 200, PRIVATE


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
    services = clinic()
    early = services.settings.check_in_early_min
    visit, spoken = await services.read(lambda s: _visit_and_language(s, shown, early))
    language.for_person(spoken)  # the patient's language, unless the switch chose one
    return await _patient_page(200, visit=visit, **context)


async def _visit_and_language(
    db: AsyncSession, ticket_id: int, early: int
) -> tuple[Visit | None, str | None]:
    visit = await visit_of(db, ticket_id, early)
    spoken = await db.scalar(
        select(Patient.language)
        .join(Appointment, Appointment.patient_id == Patient.id)
        .join(Ticket, Ticket.appointment_id == Appointment.id)
        .where(Ticket.id == ticket_id)
    )
    return visit, spoken


@bp.get("/t/<link>")
@public
async def ticket_link(link: str) -> tuple[str, int, dict[str, str]]:
    """Show a patient their ticket from the signed link they were sent; no password needed."""
    settings = clinic().settings
    try:
        ticket_id = read_ticket_link(settings.secret_key, link, settings.ticket_link_hours * 3600)
    except DomainError as error:
        problem = PROBLEMS.get(error.code)
        return await _patient_page(
            http_status(error), problem=i18n.gettext(problem) if problem else error.message
        )
    return await _ticket_page(ticket_id, link=link)


async def todays_ticket(db: AsyncSession, patient_id: int, day: date) -> int | None:
    """Return the patient's ticket of today that is still going on (the latest), if any."""
    return await db.scalar(
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
        return await _patient_page(
            403, problem=i18n.gettext("This page shows a patient's own ticket.")
        )
    services, patient_id = clinic(), actor.patient_id
    ticket_id = await services.read(lambda s: todays_ticket(s, patient_id, services.clock().date()))
    if ticket_id is None:
        return redirect("/my/visits")  # no visit today: the list of visits says what is next
    return await _ticket_page(ticket_id, ticket_id=ticket_id)
