"""The waitlist: join, list, leave, and answer an offer (docs/waitlist.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, request
from quart_schema import validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import waitlist
from server.api.appointments import with_link
from server.api.clinic import int_arg
from server.api.fields import Day, Id
from server.api.schemas import Strict
from server.auth.actor import Actor
from server.auth.web import actor, requires
from server.background.waitlist import request_offers
from server.errors import APIError, Conflict
from server.models import Role
from server.models.waitlist import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from server.services import clinic

bp = Blueprint("waitlist", __name__, url_prefix="/api")
LIST_LIMIT = 200


class WaitlistIn(Strict):
    patient_id: Id | None = Field(None, description="optional for a logged-in patient")
    department_id: Id | None = Field(None, description="or give doctor_id")
    doctor_id: Id | None = None
    day: Day | None = Field(None, description="one day; without it, the next CLINIC_WAITLIST_DAYS")


class OfferOut(BaseModel):
    """One offer of a free place."""

    id: int
    slot_id: int
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    appointment_id: int | None


class EntryOut(BaseModel):
    """A patient's place on the waitlist, with the offers made to it."""

    id: int
    patient_id: int
    department_id: int
    doctor_id: int | None
    first_day: date
    last_day: date
    status: EntryStatus
    created_at: datetime
    offers: list[OfferOut]


class EntriesOut(BaseModel):
    entries: list[EntryOut]


class OfferAnswerOut(BaseModel):
    """A declined offer."""

    offer: OfferOut


def offer_out(offer: WaitlistOffer) -> dict[str, Any]:
    """Show an offer."""
    return {
        "id": offer.id,
        "slot_id": offer.slot_id,
        "status": offer.status.value,
        "offered_at": offer.offered_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "appointment_id": offer.appointment_id,
    }


async def entry_out(db: AsyncSession, entry: WaitlistEntry) -> dict[str, Any]:
    """Show an entry with its offers, newest first."""
    offers = await db.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.entry_id == entry.id)
        .order_by(WaitlistOffer.id.desc())
    )
    return {
        "id": entry.id,
        "patient_id": entry.patient_id,
        "department_id": entry.department_id,
        "doctor_id": entry.doctor_id,
        "first_day": entry.first_day.isoformat(),
        "last_day": entry.last_day.isoformat(),
        "status": entry.status.value,
        "created_at": entry.created_at.isoformat(),
        "offers": [offer_out(o) for o in offers],
    }


@bp.post("/waitlist")
@requires("waitlist.join")
@validate_request(WaitlistIn)
async def join(data: WaitlistIn) -> tuple[dict[str, Any], int]:
    """Put a patient on the waitlist; a place already free is offered at once."""
    services, who = clinic(), actor()
    patient_id = data.patient_id if data.patient_id is not None else who.patient_id
    if patient_id is None:
        raise APIError(422, "PATIENT_REQUIRED", "give patient_id")

    async def work(db: AsyncSession) -> dict[str, Any]:
        entry = await waitlist.join(
            db,
            who,
            patient_id=patient_id,
            department_id=data.department_id,
            doctor_id=data.doctor_id,
            day=data.day,
            now=services.clock(),
            days=services.settings.waitlist_days,
            horizon=services.settings.booking_horizon,
        )
        return await entry_out(db, entry)

    body = await services.run(work)
    await request_offers(services)
    return body, 201


@bp.get("/waitlist")
@requires("waitlist.read")
async def entries() -> dict[str, Any]:
    """List waitlist entries in line order (patients: their own; staff: filter by department)."""
    services, who = clinic(), actor()
    department_id, patient_id = int_arg("department_id"), int_arg("patient_id")
    raw = request.args.get("status", "active")
    statuses = _statuses(raw)
    if who.role is Role.PATIENT:
        patient_id = who.patient_id or 0

    async def work(db: AsyncSession) -> dict[str, Any]:
        query = (
            select(WaitlistEntry)
            .where(WaitlistEntry.status.in_(statuses))
            .order_by(WaitlistEntry.id)
            .limit(LIST_LIMIT)
        )
        if department_id is not None:
            query = query.where(WaitlistEntry.department_id == department_id)
        if patient_id is not None:
            query = query.where(WaitlistEntry.patient_id == patient_id)
        found = list(await db.scalars(query))
        return {"entries": [await entry_out(db, e) for e in found]}

    return await services.read(work)


def _statuses(raw: str) -> tuple[EntryStatus, ...]:
    if raw == "active":
        return (EntryStatus.WAITING, EntryStatus.OFFERED)
    if raw == "all":
        return tuple(EntryStatus)
    try:
        return (EntryStatus(raw),)
    except ValueError:
        raise APIError(
            400,
            "BAD_QUERY",
            "status must be active, all, or one of " + ", ".join(s.value for s in EntryStatus),
            {"field": "status"},
        ) from None


@bp.post("/waitlist/<int:entry_id>/leave")
@requires("waitlist.leave")
async def leave(entry_id: int) -> dict[str, Any]:
    """Take a patient off the waitlist; an open offer goes to the next patient."""
    services, who = clinic(), actor()

    async def work(db: AsyncSession) -> dict[str, Any]:
        entry = await waitlist.leave(db, who, entry_id=entry_id, now=services.clock())
        return await entry_out(db, entry)

    body = await services.run(work)
    await request_offers(services)
    return body


async def confirm_offer(who: Actor, offer_id: int) -> dict[str, Any]:
    """Confirm an offer as `who`; a place taken first is a 409 OFFER_TAKEN (and a new offer)."""
    services = clinic()

    async def work(db: AsyncSession) -> waitlist.Confirmation:
        return await waitlist.confirm(
            db,
            who,
            offer_id=offer_id,
            now=services.clock(),
            scorer=services.scorer,
            policy=services.overbooking,
            horizon=services.settings.booking_horizon,
        )

    done = await services.run(work)
    if done.ticket is None:
        await request_offers(services)  # the next free place, for them or whoever is first
        raise Conflict(
            "OFFER_TAKEN",
            "that place was taken just before you confirmed; you keep your place on the "
            "waitlist and will be offered the next free one",
            {"offer_id": offer_id, "refused": done.lost_code},
        )
    return with_link(done.ticket)


@bp.post("/waitlist/offers/<int:offer_id>/confirm")
@requires("waitlist.answer")
async def confirm(offer_id: int) -> tuple[dict[str, Any], int]:
    """Book the offered place (patients: their own offers only)."""
    return await confirm_offer(actor(), offer_id), 201


@bp.post("/waitlist/offers/<int:offer_id>/decline")
@requires("waitlist.answer")
async def decline(offer_id: int) -> dict[str, Any]:
    """Turn an offer down: the place goes to the next patient; this one keeps waiting."""
    services, who = clinic(), actor()
    offer = await services.run(
        lambda s: waitlist.decline(s, who, offer_id=offer_id, now=services.clock())
    )
    await request_offers(services)
    return {"offer": offer_out(offer)}
