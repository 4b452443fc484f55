"""Self check-in: the phone's "I'm here", the board's codes, the kiosk, the desk's print link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field, model_validator
from quart import Blueprint, request
from quart_schema import validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import checkin
from server.api.auth import client_ip
from server.api.fields import Day, Id, Line
from server.api.schemas import Strict
from server.auth.actor import Actor
from server.auth.secrets import digest, read_ticket_link, sign_ticket
from server.auth.web import access, check_csrf, current_actor, public, requires
from server.errors import APIError, DomainError, Unauthenticated, not_found
from server.events import iso
from server.models import Department, Display, DisplayKind, Role, Ticket
from server.queries.queues import ticket_snapshot
from server.queue.checkin import CheckinRules, current_code
from server.screens_self import qr_data_uri
from server.services import Services, clinic

bp = Blueprint("checkin", __name__, url_prefix="/api")

KEY_HEADER = "X-Display-Key"


class SelfCheckinIn(Strict):
    # The signed link of the patient's page, or (logged in as the patient) the ticket's id.
    link: str | None = Field(None, min_length=1, max_length=500)
    ticket_id: Id | None = None
    code: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")

    @model_validator(mode="after")
    def _one_ticket(self) -> SelfCheckinIn:
        if (self.link is None) == (self.ticket_id is None):
            raise ValueError("give link or ticket_id")
        return self


class KioskIdentityIn(Strict):
    # The record number, or the phone number and date of birth.
    record_number: Line | None = Field(None, min_length=1, max_length=32)
    phone: Line | None = Field(None, min_length=6, max_length=24, pattern=r"^[0-9 +().-]+$")
    date_of_birth: Day | None = None

    @model_validator(mode="after")
    def _identity(self) -> KioskIdentityIn:
        if not self.record_number and not (self.phone and self.date_of_birth):
            raise ValueError("give record_number, or phone and date_of_birth")
        return self


class KioskWalkInIn(KioskIdentityIn):
    department_id: Id


def rules_of(services: Services) -> CheckinRules:
    """Return the clinic's check-in settings."""
    s = services.settings
    return CheckinRules(
        s.check_in_early_min, s.checkin_late_min, s.checkin_code_period_s, s.checkin_code_digits
    )


def print_path(services: Services, ticket_id: int) -> str:
    """Return the printed ticket's page (the same signed link as the patient's live page)."""
    return f"/print/ticket/{sign_ticket(services.settings.secret_key, ticket_id)}"


async def _limited(keys: list[tuple[str, int]], message: str) -> None:
    for key, limit in keys:
        if await access().limiter.blocked(key, limit):
            raise APIError(429, "RATE_LIMITED", message)


async def _count(keys: list[tuple[str, int]]) -> None:
    for key, _ in keys:
        await access().limiter.fail(key)


async def _patient_actor(data: SelfCheckinIn, services: Services) -> tuple[Actor, int]:
    """Return who checks in and their ticket: the link's holder, or the logged-in patient."""
    settings = services.settings
    if data.link is not None:
        ticket_id = read_ticket_link(
            settings.secret_key, data.link, settings.ticket_link_hours * 3600
        )
        patient_id = await services.read(lambda s: _patient_of(s, ticket_id))
        return Actor(
            user_id=None, role=Role.PATIENT, name="phone", patient_id=patient_id
        ), ticket_id
    who = await current_actor()
    if who is None or data.ticket_id is None:
        raise APIError(401, "UNAUTHENTICATED", "open the link you were sent, or log in")
    if who.role is not Role.PATIENT:
        raise APIError(403, "FORBIDDEN", "the desk checks patients in: POST …/check-in")
    check_csrf()
    return who, data.ticket_id


async def _patient_of(db: AsyncSession, ticket_id: int) -> int:
    ticket = await db.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    return ticket.appointment.patient_id


@bp.post("/checkin")
@public
@validate_request(SelfCheckinIn)
async def self_check_in(data: SelfCheckinIn) -> dict[str, Any]:
    """Check in from the phone with the code the waiting-room board shows ("I'm here")."""
    services = clinic()
    who, ticket_id = await _patient_actor(data, services)
    settings = services.settings
    keys = [
        (f"checkin:ticket:{ticket_id}", settings.checkin_max_failures),
        (f"checkin:address:{client_ip()}", settings.checkin_max_failures * 4),
    ]
    await _limited(keys, "too many wrong codes; wait a few minutes or see the desk")
    try:
        ticket = await services.run(
            lambda s: checkin.self_check_in(
                s,
                who,
                ticket_id=ticket_id,
                code=data.code,
                now=services.clock(),
                secret=settings.secret_key,
                rules=rules_of(services),
            )
        )
    except DomainError as error:
        if error.code in ("CHECKIN_CODE_WRONG", "CHECKIN_CODE_STALE"):
            await _count(keys)
        raise
    return _checked_in(ticket)


def _checked_in(ticket: Ticket) -> dict[str, Any]:
    appointment = ticket.appointment
    return {
        "ticket_id": ticket.id,
        "token": ticket.token,
        "status": appointment.status.value,
        "checkin_method": appointment.checkin_method.value if appointment.checkin_method else None,
        "late_min": appointment.late_min,
        "checked_in_at": iso(appointment.checked_in_at),
    }


async def _display(db: AsyncSession, kind: DisplayKind) -> Display:
    key = request.headers.get(KEY_HEADER, "")
    if not key:
        raise Unauthenticated("AUTH_REQUIRED", f"send the display's key in {KEY_HEADER}")
    if kind is DisplayKind.KIOSK:
        return await checkin.kiosk_display(db, key)
    display = await db.scalar(select(Display).where(Display.key_hash == digest(key)))
    if display is None or display.kind is not kind:
        raise Unauthenticated("DISPLAY_KEY_INVALID", "this display key is not known")
    return display


async def _departments(db: AsyncSession, display: Display) -> list[Department]:
    query = select(Department).order_by(Department.id)
    if display.department_id is not None:
        query = query.where(Department.id == display.department_id)
    return list((await db.scalars(query)).all())


@bp.get("/checkin/codes")
@public
async def board_codes() -> dict[str, Any]:
    """Give a waiting-room board its departments' check-in codes (header X-Display-Key)."""
    services = clinic()

    async def work(db: AsyncSession) -> list[Department]:
        return await _departments(db, await _display(db, DisplayKind.BOARD))

    departments = await services.read(work)
    now, rules, base = services.clock(), rules_of(services), services.settings.public_url
    codes = []
    for department in departments:
        code, changes = current_code(services.settings.secret_key, department.id, now, rules)
        url = f"{base}/checkin?d={department.id}&c={code}"
        codes.append(
            {
                "department_id": department.id,
                "department": department.name,
                "code": code,
                "changes_at": iso(changes),
                "url": url,
                "qr": qr_data_uri(url),
            }
        )
    return {"period_s": rules.period_s, "codes": codes}


@bp.get("/kiosk")
@public
async def kiosk_info() -> dict[str, Any]:
    """Tell a kiosk its name and the departments it gives walk-in tickets for."""

    async def work(db: AsyncSession) -> dict[str, Any]:
        display = await _display(db, DisplayKind.KIOSK)
        departments = await _departments(db, display)
        return {
            "name": display.name,
            "language": display.language,
            "departments": [{"id": d.id, "name": d.name} for d in departments],
        }

    return await clinic().read(work)


async def _kiosk(
    identity: KioskIdentityIn,
    act: Callable[[AsyncSession, Display, Any], Awaitable[Ticket]],
) -> dict[str, Any]:
    """Find the patient at the kiosk and act for them; answer what the screen and slip show."""
    services = clinic()
    display = await services.read(lambda s: _display(s, DisplayKind.KIOSK))
    settings = services.settings
    lookups = [(f"kiosk:lookups:{display.id}", settings.kiosk_max_lookups)]
    misses = [(f"kiosk:misses:{display.id}", settings.checkin_max_failures * 4)]
    await _limited(lookups + misses, "too many look-ups at this kiosk; please see the desk")
    await _count(lookups)

    async def work(db: AsyncSession) -> Ticket:
        patient = await checkin.find_patient(
            db,
            record_number=identity.record_number,
            phone=identity.phone,
            date_of_birth=identity.date_of_birth,
        )
        return await act(db, display, patient)

    try:
        ticket = await services.run(work)
    except DomainError as error:
        if error.code == "PATIENT_NOT_FOUND":
            await _count(misses)
        raise
    view = await services.read(
        lambda s: ticket_snapshot(s, ticket.id, services.clock(), settings.default_consultation_min)
    )
    mine = view["ticket"]
    # What the kiosk shows and prints: never the patient's name or record.
    return {
        "token": ticket.token,
        "department": view["department"]["name"],
        "status": mine["status"],
        "scheduled_at": mine["scheduled_at"],
        "late_min": ticket.appointment.late_min,
        "ahead": mine["ahead"],
        "eta": mine["eta"],
        "print_url": print_path(services, ticket.id),
    }


@bp.post("/kiosk/check-in")
@public
@validate_request(KioskIdentityIn)
async def kiosk_check_in(data: KioskIdentityIn) -> dict[str, Any]:
    """Check in today's booking of the patient found by record number, or phone and birth date."""
    services = clinic()
    return await _kiosk(
        data,
        lambda s, display, patient: checkin.kiosk_check_in(
            s, display, patient, now=services.clock(), rules=rules_of(services)
        ),
    )


@bp.post("/kiosk/walk-in")
@public
@validate_request(KioskWalkInIn)
async def kiosk_walk_in(data: KioskWalkInIn) -> tuple[dict[str, Any], int]:
    """Give the patient found a walk-in ticket for a department."""
    services = clinic()
    answer = await _kiosk(
        data,
        lambda s, display, patient: checkin.kiosk_walk_in(
            s, display, patient, department_id=data.department_id, now=services.clock()
        ),
    )
    return answer, 201


@bp.get("/tickets/<int:ticket_id>/print")
@requires("ticket.print")
async def print_link(ticket_id: int) -> dict[str, Any]:
    """Give the desk the printed ticket's page of a ticket (opened, it prints itself)."""
    services = clinic()
    found = await services.read(lambda s: s.get(Ticket, ticket_id))
    if found is None:
        raise not_found("ticket", ticket_id)
    return {"ticket_id": ticket_id, "url": print_path(services, ticket_id)}
