"""The page a waitlist offer's link opens: see the place, book it or say no (no login)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from quart import Blueprint, render_template, request
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import waitlist
from server.api.appointments import with_link
from server.api.errors import http_status
from server.auth.addresses import client_address
from server.auth.secrets import read_offer_link
from server.auth.web import access, public
from server.background.waitlist import request_offers
from server.errors import DomainError
from server.models import Department, Doctor, Slot
from server.models.waitlist import OfferStatus, WaitlistEntry, WaitlistOffer
from server.services import clinic

bp = Blueprint("offer_page", __name__)
# The link is a secret: never cache the page or send it onward.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Bad links per address and window (CLINIC_LOGIN_WINDOW_S) before the page answers 429.
BAD_LINKS = 20

Page = tuple[str, int, dict[str, str]]


async def _page(status: int = 200, **context: Any) -> Page:
    name = clinic().settings.clinic_name
    return await render_template("offer.html", clinic_name=name, **context), status, PRIVATE


async def _facts(db: AsyncSession, offer: WaitlistOffer) -> dict[str, Any]:
    services = clinic()
    zone = ZoneInfo(services.settings.timezone)
    slot = await db.get(Slot, offer.slot_id)
    entry = await db.get(WaitlistEntry, offer.entry_id)
    doctor = await db.get(Doctor, slot.doctor_id) if slot else None
    department = await db.get(Department, entry.department_id) if entry else None
    when = slot.starts_at.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if slot else ""
    return {
        "when": when,
        "until": offer.expires_at.astimezone(zone).strftime("%a %d %b, %H:%M"),
        "doctor": doctor.name if doctor else None,
        "department": department.name if department else "",
        "open": offer.status is OfferStatus.OPEN and offer.expires_at > services.clock(),
    }


def _client_ip() -> str:
    proxies = clinic().settings.proxy_networks
    forwarded = request.headers.getlist("X-Forwarded-For") or request.headers.getlist("X-Real-IP")
    return client_address(request.remote_addr, forwarded, proxies)


async def _offer_id(link: str) -> int | Page:
    """Read the link; count a bad one against the caller's address (429 after too many)."""
    services, limiter = clinic(), access().limiter
    key = f"offer-link:{_client_ip()}"
    if await limiter.blocked(key, BAD_LINKS):
        return await _page(429, notice="too_many")
    try:
        return read_offer_link(services.settings.secret_key, link)
    except DomainError as error:
        await limiter.fail(key)
        return await _page(http_status(error), problem=error.message)


@bp.get("/w/<link>")
@public
async def show(link: str) -> Page:
    """Show the offered place and its two answers."""
    offer_id = await _offer_id(link)
    if not isinstance(offer_id, int):
        return offer_id
    services = clinic()

    async def work(db: AsyncSession) -> dict[str, Any] | None:
        offer = await db.get(WaitlistOffer, offer_id)
        return None if offer is None else await _facts(db, offer)

    facts = await services.read(work)
    if facts is None:
        return await _page(404, notice="gone")
    if not facts["open"]:
        return await _page(409, offer=facts, notice="closed")
    return await _page(offer=facts)


@bp.post("/w/<link>")
@public
async def answer(link: str) -> Page:
    """Book the offered place or turn it down, as the patient the link was sent to."""
    offer_id = await _offer_id(link)
    if not isinstance(offer_id, int):
        return offer_id
    form = await request.form
    choice = form.get("answer", "")
    if choice not in ("confirm", "decline"):
        return await _page(400, notice="choose")
    services = clinic()

    async def patient_of(db: AsyncSession) -> int | None:
        offer = await db.get(WaitlistOffer, offer_id)
        entry = await db.get(WaitlistEntry, offer.entry_id) if offer else None
        return entry.patient_id if entry else None

    patient_id = await services.read(patient_of)
    if patient_id is None:
        return await _page(404, notice="gone")
    who = waitlist.link_actor(patient_id)
    try:
        if choice == "decline":
            await services.run(
                lambda s: waitlist.decline(s, who, offer_id=offer_id, now=services.clock())
            )
            await request_offers(services)
            return await _page(declined=True)
        done = await services.run(
            lambda s: waitlist.confirm(
                s,
                who,
                offer_id=offer_id,
                now=services.clock(),
                scorer=services.scorer,
                policy=services.overbooking,
                horizon=services.settings.booking_horizon,
            )
        )
    except DomainError as error:
        return await _page(http_status(error), problem=error.message)
    facts = await services.read(
        lambda s: _facts_of(s, offer_id),
    )
    if done.ticket is None:
        await request_offers(services)
        return await _page(409, offer=facts, notice="lost")
    shown = with_link(done.ticket)
    return await _page(
        201, offer=facts, booked={"token": shown["token"], "link": shown["live_link"]}
    )


async def _facts_of(db: AsyncSession, offer_id: int) -> dict[str, Any] | None:
    offer = await db.get(WaitlistOffer, offer_id)
    return None if offer is None else await _facts(db, offer)
