"""Self-service screens: the kiosk, the printed ticket, and the entrance QR's check-in page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import segno
from markupsafe import Markup
from quart import Blueprint, render_template, request

from server.api.errors import http_status
from server.auth.secrets import read_ticket_link
from server.auth.web import public
from server.errors import DomainError
from server.headers import CONTENT_SECURITY_POLICY
from server.queries.queues import ticket_snapshot
from server.queries.visit import visit_of
from server.services import clinic

bp = Blueprint("screens_self", __name__)

# Kiosk and ticket URLs carry secrets (a display key, a ticket link): never leak them onward.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# The kiosk prints a slip by loading it in a frame of its own page: only this site may frame it.
FRAMED_BY_SELF = {
    **PRIVATE,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def qr_svg(text: str) -> Markup:
    """Draw `text` as a QR code in SVG (medium error correction, a quiet zone of 4 modules)."""
    code = segno.make(text, error="m", micro=False)
    return Markup(
        code.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", lineclass="qrline")
    )


def qr_data_uri(text: str) -> str:
    """Draw `text` as a QR code in an SVG data URI (an <img> a page can show under its CSP)."""
    code = segno.make(text, error="m", micro=False)
    return str(code.svg_data_uri(scale=4, border=4, light="#fff"))


Page = tuple[str, int, dict[str, str]]


async def _page(template: str, status: int, headers: dict[str, str], **context: Any) -> Page:
    name = clinic().settings.clinic_name
    return await render_template(template, clinic_name=name, **context), status, headers


@bp.get("/kiosk")
@public
async def kiosk() -> Page:
    """Show the self check-in kiosk; its display key comes in the query string (?key=…)."""
    return await _page("kiosk.html", 200, PRIVATE, has_key=bool(request.args.get("key")))


@bp.get("/checkin")
@public
async def entrance_checkin() -> Page:
    """Open from the board's QR code: hand its code to the patient's own page."""
    return await _page("checkin.html", 200, PRIVATE)


@bp.get("/print/ticket/<link>")
@public
async def printed_ticket(link: str) -> Page:
    """Show the 80 mm slip of a ticket: token, department, time, how many ahead, QR code."""
    services = clinic()
    settings = services.settings
    try:
        ticket_id = read_ticket_link(settings.secret_key, link, settings.ticket_link_hours * 3600)
    except DomainError as error:
        return await _page("print_ticket.html", http_status(error), PRIVATE, problem=error.message)
    now = services.clock()

    async def work(db: Any) -> tuple[dict[str, Any], Any]:
        view = await ticket_snapshot(db, ticket_id, now, settings.default_consultation_min)
        visit = await visit_of(db, ticket_id, settings.check_in_early_min)
        return view, visit

    try:
        view, visit = await services.read(work)
    except DomainError as error:
        return await _page("print_ticket.html", http_status(error), PRIVATE, problem=error.message)
    live = f"{settings.public_url}/t/{link}"
    arrived = view["ticket"]["arrived_at"]
    return await _page(
        "print_ticket.html",
        200,
        FRAMED_BY_SELF,
        ticket=view["ticket"],
        department=view["department"]["name"],
        visit=visit,
        printed_at=now,
        arrived_at=datetime.fromisoformat(arrived) if arrived else None,
        live_link=live,
        qr=qr_svg(live),
    )
