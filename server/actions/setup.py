"""Editing the clinic's set-up: departments, rooms, doctors, users and displays.

Nothing with history is deleted: a deactivated row leaves the pickers, bookings and plans from
now on and stays in reports. Each change writes one audit row naming what changed (before and
after) and records events: `setup_changed` redraws a department's screens, `access_ended`
disconnects the sockets a revoked display key or an ended login opened
(server/realtime/access.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.admin import check_room
from server.actions.common import audit
from server.auth.actor import Actor
from server.auth.secrets import digest, new_secret
from server.auth.sessions import end_every_login
from server.errors import Conflict, Invalid, not_found
from server.events import EventKind, QueueEvent, record
from server.models import (
    ApiToken,
    Appointment,
    Department,
    Display,
    Doctor,
    DoctorSession,
    LoginSession,
    Room,
    Ticket,
    User,
)
from server.models.base import Base
from server.models.users import Role
from server.queue.state import TicketStatus

# What an edit asks to change: field -> new value (only the fields the request named).
Changes = Mapping[str, Any]
QUEUED = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.IN_CONSULTATION)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _apply(row: Base, changes: Changes) -> dict[str, list[Any]]:
    """Set the fields that change; return {field: [before, after]} of those, for the audit."""
    diff: dict[str, list[Any]] = {}
    for field, value in changes.items():
        before = getattr(row, field)
        if before != value:
            setattr(row, field, value)
            diff[field] = [_plain(before), _plain(value)]
    return diff


async def _flush_unique(db: AsyncSession, code: str, message: str) -> None:
    """Flush; a unique index refusing it (a race the checks lost) is a 409, not a 500."""
    try:
        await db.flush()
    except IntegrityError:
        raise Conflict(code, message) from None


async def _setup_changed(
    db: AsyncSession, department_id: int, what: str, ident: int, now: datetime
) -> None:
    """Tell the department's screens to redraw (and re-plan its day): its set-up changed."""
    await record(
        db,
        QueueEvent(
            kind=EventKind.SETUP_CHANGED,
            department_id=department_id,
            day=now.date().isoformat(),
            ticket_id=0,
            token="",
            status="",
            urgency="",
            at=now.isoformat(),
            new_ticket=True,  # no ticket room to update
            extra={"what": what, "id": ident},
        ),
    )


async def _access_ended(db: AsyncSession, now: datetime, **holder: int) -> None:
    """Have the sockets of a display (display_id=) or a user (user_id=) disconnected."""
    await record(
        db,
        QueueEvent(
            kind=EventKind.ACCESS_ENDED,
            department_id=0,
            day=now.date().isoformat(),
            ticket_id=0,
            token="",
            status="",
            urgency="",
            at=now.isoformat(),
            new_ticket=True,
            extra=dict(holder),
        ),
    )


# Departments


async def _locked_department(db: AsyncSession, department_id: int) -> Department:
    row = await db.get(Department, department_id, with_for_update=True)
    if row is None:
        raise not_found("department", department_id)
    return row


async def update_department(
    db: AsyncSession, actor: Actor, *, department_id: int, changes: Changes, now: datetime
) -> Department:
    """Rename a department, change its code or token letters, or (de)activate it.

    A department with active doctors is not deactivated (409 DEPARTMENT_IN_USE): deactivate
    them first, which in turn refuses while they have bookings to come.
    """
    row = await _locked_department(db, department_id)
    for field in ("code", "token_prefix"):
        value = changes.get(field)
        if value is None or value == getattr(row, field):
            continue
        column = getattr(Department, field)
        # Compared without case: MariaDB's unique index is case-insensitive, SQLite's is not.
        taken = await db.scalar(
            select(Department.id).where(
                func.lower(column) == value.lower(), Department.id != row.id
            )
        )
        if taken:
            raise Conflict(
                "DEPARTMENT_EXISTS",
                f"another department has that {field.replace('_', ' ')}",
                {"field": field, "department_id": taken},
            )
    if changes.get("active") is False and row.active:
        doctors = await db.scalar(
            select(func.count(Doctor.id)).where(
                Doctor.department_id == row.id, Doctor.active.is_(True)
            )
        )
        if doctors:
            raise Conflict(
                "DEPARTMENT_IN_USE",
                f"the department has {doctors} active doctor(s): deactivate them first",
                {"active_doctors": doctors},
            )
    diff = _apply(row, changes)
    if diff:
        await _flush_unique(db, "DEPARTMENT_EXISTS", "that code or token prefix is taken")
        audit(
            db,
            actor,
            "department.update",
            None,
            details={"department_id": row.id, "changes": diff},
            now=now,
        )
        await _setup_changed(db, row.id, "department", row.id, now)
    return row


# Rooms


async def _room_name_free(
    db: AsyncSession, department_id: int, name: str, room_id: int | None = None
) -> None:
    query = select(Room.id).where(
        Room.department_id == department_id, func.lower(Room.name) == name.lower()
    )
    if room_id is not None:
        query = query.where(Room.id != room_id)
    taken = await db.scalar(query)
    if taken:
        raise Conflict(
            "ROOM_EXISTS",
            f"the department already has a room named {name} (reactivate it instead)",
            {"room_id": taken},
        )


async def add_room(
    db: AsyncSession, actor: Actor, *, department_id: int, name: str, now: datetime
) -> Room:
    """Add a room to a department; names are unique within it."""
    department = await _locked_department(db, department_id)
    await _room_name_free(db, department.id, name)
    room = Room(department_id=department.id, name=name, active=True)
    db.add(room)
    await _flush_unique(db, "ROOM_EXISTS", f"the department already has a room named {name}")
    audit(
        db,
        actor,
        "room.create",
        None,
        details={"room_id": room.id, "department_id": department.id, "name": name},
        now=now,
    )
    await _setup_changed(db, department.id, "room", room.id, now)
    return room


async def update_room(
    db: AsyncSession, actor: Actor, *, room_id: int, changes: Changes, now: datetime
) -> Room:
    """Rename a room or (de)activate it; a room in use is not deactivated (409 ROOM_IN_USE)."""
    room = await db.get(Room, room_id, with_for_update=True)
    if room is None:
        raise not_found("room", room_id)
    name = changes.get("name")
    if name is not None and name != room.name:
        await _room_name_free(db, room.department_id, name, room.id)
    if changes.get("active") is False and room.active:
        doctors = await db.scalar(
            select(func.count(Doctor.id)).where(Doctor.room_id == room.id, Doctor.active.is_(True))
        )
        sessions = await db.scalar(
            select(func.count(DoctorSession.id)).where(
                DoctorSession.room_id == room.id, DoctorSession.ends_at > now
            )
        )
        if doctors or sessions:
            raise Conflict(
                "ROOM_IN_USE",
                f"{doctors} active doctor(s) work in this room and {sessions} session(s) to come "
                "use it: give them another room first",
                {"doctors": doctors, "sessions": sessions},
            )
    diff = _apply(room, changes)
    if diff:
        await _flush_unique(db, "ROOM_EXISTS", "the department already has a room so named")
        audit(
            db,
            actor,
            "room.update",
            None,
            details={"room_id": room.id, "changes": diff},
            now=now,
        )
        await _setup_changed(db, room.department_id, "room", room.id, now)
    return room


# Doctors


@dataclass(frozen=True, slots=True)
class OpenVisits:
    """A doctor's bookings from today on and the patients in their queue today."""

    bookings: int
    queued: int
    first_at: datetime | None


async def open_visits(db: AsyncSession, doctor_id: int, now: datetime) -> OpenVisits:
    """Count what a doctor still has to see: bookings from today on, and their queue today."""
    rows = await db.execute(
        select(Appointment.status, func.count(Appointment.id), func.min(Appointment.scheduled_at))
        .join(Ticket, Ticket.appointment_id == Appointment.id)
        .where(
            Ticket.doctor_id == doctor_id,
            Ticket.day >= now.date(),
            Appointment.status.in_((TicketStatus.BOOKED, *QUEUED)),
        )
        .group_by(Appointment.status)
    )
    bookings = queued = 0
    first_at: datetime | None = None
    for status, count, first in rows.tuples():
        if status == TicketStatus.BOOKED:
            bookings, first_at = count, first
        else:
            queued += count
    return OpenVisits(bookings, queued, first_at)


async def update_doctor(
    db: AsyncSession, actor: Actor, *, doctor_id: int, changes: Changes, now: datetime
) -> Doctor:
    """Edit a doctor (name, specialty, room, login) or (de)activate them.

    A doctor with bookings to come or patients in today's queue is not deactivated: 409
    DOCTOR_HAS_BOOKINGS says how many, and the desk moves or cancels them first (each patient
    is told by the usual messages); nothing is moved behind the admin's back.
    """
    doctor = await db.get(Doctor, doctor_id, with_for_update=True)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    room_id = changes.get("room_id")
    if room_id is not None and room_id != doctor.room_id:
        await check_room(db, room_id, doctor.department_id)
    user_id = changes.get("user_id")
    if user_id is not None and user_id != doctor.user_id:
        await _check_doctor_login(db, user_id, doctor.id)
    if changes.get("active") is True and not doctor.active:
        department = await db.get(Department, doctor.department_id)
        if department is not None and not department.active:
            raise Invalid(
                "DEPARTMENT_INACTIVE",
                "the doctor's department is deactivated: reactivate it first",
                {"department_id": doctor.department_id},
            )
    if changes.get("active") is False and doctor.active:
        visits = await open_visits(db, doctor.id, now)
        if visits.bookings or visits.queued:
            raise Conflict(
                "DOCTOR_HAS_BOOKINGS",
                f"{doctor.name} has {visits.bookings} booking(s) to come and {visits.queued} "
                "patient(s) in today's queue: move or cancel them first",
                {
                    "bookings": visits.bookings,
                    "queued": visits.queued,
                    "first_at": visits.first_at.isoformat() if visits.first_at else None,
                },
            )
    diff = _apply(doctor, changes)
    if diff:
        await _flush_unique(db, "USER_ALREADY_LINKED", "that login belongs to another doctor")
        audit(
            db,
            actor,
            "doctor.update",
            None,
            details={"doctor_id": doctor.id, "changes": diff},
            now=now,
        )
        await _setup_changed(db, doctor.department_id, "doctor", doctor.id, now)
    if "user_id" in diff:
        # The old and the new login's consoles reconnect as who they now are.
        for ended in {diff["user_id"][0], diff["user_id"][1]} - {None}:
            await _access_ended(db, now, user_id=ended)
    return doctor


async def _check_doctor_login(db: AsyncSession, user_id: int, doctor_id: int) -> None:
    user = await db.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    if user.role is not Role.DOCTOR:
        raise Invalid("NOT_A_DOCTOR_USER", "user_id must name a user with the doctor role")
    linked = await db.scalar(
        select(Doctor.id).where(Doctor.user_id == user_id, Doctor.id != doctor_id)
    )
    if linked:
        raise Conflict(
            "USER_ALREADY_LINKED", "that login belongs to another doctor", {"doctor_id": linked}
        )


# Users


async def _locked_user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id, with_for_update=True)
    if user is None:
        raise not_found("user", user_id)
    return user


def _not_own(actor: Actor, user: User, what: str) -> None:
    # An admin cannot lock themselves out from here (their own password: /api/auth/password).
    if user.id == actor.user_id:
        raise Conflict("OWN_ACCOUNT", f"you cannot {what} your own account here")


async def _not_last_admin(db: AsyncSession, user: User) -> None:
    admins = await db.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not admins:
        raise Conflict("LAST_ADMIN", "the clinic needs at least one active admin")


async def update_user(
    db: AsyncSession, actor: Actor, *, user_id: int, changes: Changes, now: datetime
) -> User:
    """Edit a login (name, role, language) or (de)activate it.

    A new role or a deactivation ends every login and bearer token of the user at once. Roles
    change among the staff roles; a patient's login stays a patient's.
    """
    user = await _locked_user(db, user_id)
    role = changes.get("role")
    if role is not None and role is not user.role:
        _not_own(actor, user, "change the role of")
        if Role.PATIENT in (role, user.role):
            raise Invalid("ROLE_FIXED", "a patient's login cannot change role, nor become one")
        if user.role is Role.DOCTOR:
            linked = await db.scalar(select(Doctor.id).where(Doctor.user_id == user.id))
            if linked:
                raise Conflict(
                    "DOCTOR_LINKED",
                    "this login belongs to a doctor: unlink it from the doctor first",
                    {"doctor_id": linked},
                )
        if user.role is Role.ADMIN:
            await _not_last_admin(db, user)
    if changes.get("active") is False and user.active:
        _not_own(actor, user, "deactivate")
        if user.role is Role.ADMIN:
            await _not_last_admin(db, user)
    diff = _apply(user, changes)
    ended = "role" in diff or ("active" in diff and not user.active)
    if ended:
        await end_every_login(db, user.id)
        await _access_ended(db, now, user_id=user.id)
    if diff:
        audit(
            db,
            actor,
            "user.update",
            None,
            details={"user_id": user.id, "changes": diff, "logins_ended": ended},
            now=now,
        )
    return user


async def reset_password(
    db: AsyncSession, actor: Actor, *, user_id: int, password_hash: str, now: datetime
) -> User:
    """Give a user a new password; their logins and bearer tokens end at once."""
    user = await _locked_user(db, user_id)
    _not_own(actor, user, "reset the password of")
    user.password_hash = password_hash
    await end_every_login(db, user.id)
    await _access_ended(db, now, user_id=user.id)
    audit(db, actor, "user.password_reset", None, details={"user_id": user.id}, now=now)
    return user


async def end_logins(db: AsyncSession, actor: Actor, *, user_id: int, now: datetime) -> int:
    """End every browser login of a user (their bearer tokens stay); return how many ended."""
    return await _delete_access(db, actor, LoginSession, user_id, now, "log out", "logins_end")


async def revoke_tokens(db: AsyncSession, actor: Actor, *, user_id: int, now: datetime) -> int:
    """Revoke every bearer token of a user; return how many were revoked."""
    return await _delete_access(
        db, actor, ApiToken, user_id, now, "revoke the tokens of", "tokens_revoke"
    )


async def _delete_access(
    db: AsyncSession,
    actor: Actor,
    model: type[LoginSession] | type[ApiToken],
    user_id: int,
    now: datetime,
    verb: str,
    action: str,
) -> int:
    """Delete a user's login sessions or tokens, end their sockets, audit how many went."""
    user = await _locked_user(db, user_id)
    _not_own(actor, user, verb)
    result = await db.execute(delete(model).where(model.user_id == user.id))
    count = int(cast(CursorResult[Any], result).rowcount or 0)
    await _access_ended(db, now, user_id=user.id)
    key = "ended" if model is LoginSession else "revoked"
    audit(db, actor, f"user.{action}", None, details={"user_id": user.id, key: count}, now=now)
    return count


# Displays


async def _locked_display(db: AsyncSession, display_id: int) -> Display:
    display = await db.get(Display, display_id, with_for_update=True)
    if display is None:
        raise not_found("display", display_id)
    return display


async def update_display(
    db: AsyncSession, actor: Actor, *, display_id: int, changes: Changes, now: datetime
) -> Display:
    """Edit a TV board (name, department, language, speech); a connected board reconnects."""
    display = await _locked_display(db, display_id)
    name = changes.get("name")
    if name is not None and name != display.name:
        taken = await db.scalar(
            select(Display.id).where(
                func.lower(Display.name) == name.lower(), Display.id != display.id
            )
        )
        if taken:
            raise Conflict(
                "DISPLAY_EXISTS", f"a display named {name} exists", {"display_id": taken}
            )
    department_id = changes.get("department_id")
    if department_id is not None and department_id != display.department_id:
        department = await db.get(Department, department_id)
        if department is None:
            raise not_found("department", department_id)
        if not department.active:
            raise Invalid("DEPARTMENT_INACTIVE", "that department is deactivated")
    diff = _apply(display, changes)
    if diff:
        await _flush_unique(db, "DISPLAY_EXISTS", "a display has that name")
        audit(
            db,
            actor,
            "display.update",
            None,
            details={"display_id": display.id, "changes": diff},
            now=now,
        )
        # Its settings come with a board's connection: the board reconnects and gets them.
        await _access_ended(db, now, display_id=display.id)
    return display


async def revoke_display(
    db: AsyncSession, actor: Actor, *, display_id: int, now: datetime
) -> Display:
    """Revoke a board's key: it stops working at once and its boards are disconnected."""
    display = await _locked_display(db, display_id)
    if not display.active:
        raise Conflict("DISPLAY_REVOKED", "this display's key is already revoked")
    display.active = False
    display.key_hash = digest(new_secret("dk"))  # a key nobody was ever given
    audit(db, actor, "display.revoke", None, details={"display_id": display.id}, now=now)
    await _access_ended(db, now, display_id=display.id)
    return display


async def new_display_key(
    db: AsyncSession, actor: Actor, *, display_id: int, now: datetime
) -> tuple[Display, str]:
    """Issue a board a new key (shown once); the old key stops working, revoked or not."""
    display = await _locked_display(db, display_id)
    key = new_secret("dk")
    display.key_hash, display.active = digest(key), True
    audit(db, actor, "display.key", None, details={"display_id": display.id}, now=now)
    await _access_ended(db, now, display_id=display.id)
    return display, key
