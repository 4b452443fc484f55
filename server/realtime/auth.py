"""Who is connecting: a staff cookie or token, a display key, a patient's signed link."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

from quart import Quart
from quart_auth import QuartAuth
from socketio.exceptions import ConnectionRefusedError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.actor import Actor
from server.auth.identity import actor_for_session, actor_for_token
from server.auth.secrets import digest, read_ticket_link
from server.errors import (
    DomainError,
    Forbidden,
    Malformed,
    Unauthenticated,
    Unavailable,
    not_found,
)
from server.models import Department, Display, Role, Ticket
from server.services import clinic

COOKIE = "clinic_session"


# What a screen is told when its request failed for a reason that is not its own.
UNAVAILABLE = Unavailable("UNAVAILABLE", "the server is busy; trying again shortly")


def socket_error(error: BaseException) -> dict[str, Any]:
    """Map a failure to what a socket's client sees: a refusal's code and message, else busy.

    The socket layer's one mapping, for a connect_error's `data` and an `error` event's body:
    every DomainError class passes its code (the client acts on it); a bug says UNAVAILABLE.
    """
    known = error if isinstance(error, DomainError) else UNAVAILABLE
    return {"code": known.code, "message": known.message}


def refusal(error: BaseException) -> ConnectionRefusedError:
    """Turn a failure into the reason a client's connect_error carries as `data`."""
    data = socket_error(error)
    return ConnectionRefusedError(data["message"], data)


def bad_request(message: str) -> Malformed:
    """Build the error for a malformed `auth` object."""
    return Malformed("BAD_REQUEST", message)


def cookie_session_key(app: Quart, environ: dict[str, Any]) -> str | None:
    """Read the login key from the session cookie, as quart-auth signed it."""
    try:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = cookie.get(COOKIE)
    if morsel is None:
        return None
    auth: QuartAuth = app.extensions["QUART_AUTH"][0]
    key = auth.load_token(morsel.value, app)
    return key if isinstance(key, str) and key.startswith("ls_") else None


async def connecting_actor(app: Quart, environ: dict[str, Any], auth: dict[str, Any]) -> Actor:
    """Resolve `auth.token` or the session cookie to an Actor; 401 if neither is valid."""
    services = clinic(app)
    token = auth.get("token")
    if token is not None:
        if not isinstance(token, str):
            raise bad_request("auth.token must be a string")
        actor = await services.read(lambda s: actor_for_token(s, token, services.clock()))
        if actor is None:
            raise Unauthenticated("TOKEN_INVALID", "the bearer token is unknown or expired")
        return actor
    key = cookie_session_key(app, environ)
    actor = (
        await services.read(lambda s: actor_for_session(s, key, services.clock())) if key else None
    )
    if actor is None:
        raise Unauthenticated("AUTH_REQUIRED", "log in, or connect with auth.token")
    return actor


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    """Refuse 403 unless the actor has one of `roles`."""
    if actor.role not in roles:
        raise Forbidden("FORBIDDEN", f"a {actor.role.value} may not watch this screen")


def int_field(auth: dict[str, Any], name: str) -> int | None:
    """Read an optional integer from `auth`; 400 when it is there but not an integer."""
    value = auth.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"auth.{name} must be an integer")
    return value


async def department_ids(db: AsyncSession, wanted: list[int] | None = None) -> list[int]:
    """Return the given departments (404 for an unknown one), or every active department."""
    rows = await db.execute(select(Department.id, Department.active).order_by(Department.id))
    departments = list(rows.tuples())
    known = [ident for ident, _active in departments]
    if wanted is None:
        return [ident for ident, active in departments if active]
    missing = [d for d in wanted if d not in known]
    if missing:
        raise not_found("department", missing[0])
    return wanted


async def display_for_key(db: AsyncSession, key: Any) -> Display:
    """Return the display a key opens; 401 DISPLAY_KEY_INVALID otherwise."""
    if not isinstance(key, str) or not key:
        raise Unauthenticated("AUTH_REQUIRED", "a board connects with auth.key (its display key)")
    display = await db.scalar(select(Display).where(Display.key_hash == digest(key)))
    if display is None or not display.active:
        raise Unauthenticated("DISPLAY_KEY_INVALID", "this display key is not known")
    return display


async def linked_ticket(app: Quart, link: Any) -> int:
    """Return the ticket a signed link opens; 401 LINK_INVALID or LINK_EXPIRED otherwise."""
    if not isinstance(link, str):
        raise bad_request("auth.link must be a string")
    settings = clinic(app).settings
    return read_ticket_link(settings.secret_key, link, settings.ticket_link_hours * 3600)


async def existing_ticket(db: AsyncSession, ticket_id: int) -> Ticket:
    """Return a ticket; 404 TICKET_NOT_FOUND if it is gone."""
    ticket = await db.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    return ticket


async def own_ticket(db: AsyncSession, actor: Actor, ticket_id: int) -> int:
    """Return `ticket_id` if it is the patient's own or a dependant's; 403 otherwise."""
    ticket = await existing_ticket(db, ticket_id)
    if actor.role is not Role.PATIENT or not actor.may_act_for(ticket.appointment.patient_id):
        raise Forbidden("FORBIDDEN", "this ticket is not yours")
    return ticket_id
