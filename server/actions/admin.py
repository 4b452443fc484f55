"""Setting the clinic up: departments, doctors, sessions and their slots, users, displays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.booking import DEFAULT_HORIZON, check_horizon
from server.actions.common import audit, publish
from server.auth.actor import Actor
from server.auth.secrets import digest, new_secret
from server.errors import Conflict, Invalid, not_found
from server.events import EventKind
from server.models import (
    Appointment,
    Department,
    Display,
    Doctor,
    DoctorSession,
    Room,
    Slot,
    Ticket,
    User,
)
from server.models.users import DisplayKind, Role
from server.queue.state import TicketStatus
from server.scheduling import versions


async def check_room(db: AsyncSession, room_id: int | None, department_id: int) -> None:
    """Refuse a room that does not exist (404), belongs to another department or is off (422)."""
    if room_id is None:
        return
    room = await db.get(Room, room_id)
    if room is None:
        raise not_found("room", room_id)
    if room.department_id != department_id:
        raise Invalid(
            "ROOM_NOT_IN_DEPARTMENT",
            "that room belongs to another department",
            {"room_id": room_id},
        )
    if not room.active:
        raise Invalid("ROOM_INACTIVE", "that room is deactivated", {"room_id": room_id})


async def create_department(
    db: AsyncSession,
    actor: Actor,
    *,
    code: str,
    name: str,
    token_prefix: str,
    rooms: list[str],
    now: datetime,
) -> Department:
    """Add a department and its rooms; codes and token letters are unique."""
    clash = await db.scalar(
        select(func.count(Department.id)).where(
            (Department.code == code) | (Department.token_prefix == token_prefix)
        )
    )
    if clash:
        raise Conflict("DEPARTMENT_EXISTS", "that code or token prefix is taken")
    department = Department(code=code, name=name, token_prefix=token_prefix)
    db.add(department)
    await db.flush()
    for room in rooms:
        db.add(Room(department_id=department.id, name=room))
    audit(db, actor, "department.create", None, details={"department_id": department.id}, now=now)
    await db.flush()
    return department


async def create_doctor(
    db: AsyncSession,
    actor: Actor,
    *,
    department_id: int,
    name: str,
    now: datetime,
    specialty: str = "",
    room_id: int | None = None,
    user_id: int | None = None,
) -> Doctor:
    """Add a doctor to a department, optionally linked to a login."""
    department = await db.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    if not department.active:
        raise Invalid("DEPARTMENT_INACTIVE", "that department is deactivated")
    await check_room(db, room_id, department_id)
    if user_id is not None:
        user = await db.get(User, user_id)
        if user is None or user.role is not Role.DOCTOR:
            raise Invalid("NOT_A_DOCTOR_USER", "user_id must name a user with the doctor role")
    doctor = Doctor(
        department_id=department_id,
        name=name,
        specialty=specialty,
        room_id=room_id,
        user_id=user_id,
    )
    db.add(doctor)
    await db.flush()
    audit(db, actor, "doctor.create", None, details={"doctor_id": doctor.id}, now=now)
    return doctor


async def create_session(
    db: AsyncSession,
    actor: Actor,
    *,
    doctor_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    room_id: int | None = None,
    slot_minutes: int = 15,
    capacity_per_slot: int = 1,
    overbook_cap: int = 1,
    horizon: timedelta = DEFAULT_HORIZON,
) -> DoctorSession:
    """Open a doctor's session and cut it into slots."""
    check_horizon(starts_at, now, horizon)
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    if not doctor.active:
        raise Invalid("DOCTOR_INACTIVE", f"{doctor.name} no longer sees patients")
    await check_room(db, room_id, doctor.department_id)
    if ends_at <= starts_at or ends_at - starts_at > timedelta(hours=16):
        raise Invalid("BAD_SESSION_TIMES", "a session ends after it starts, within 16 hours")
    overlap = await db.scalar(
        select(func.count(DoctorSession.id)).where(
            DoctorSession.doctor_id == doctor_id,
            DoctorSession.starts_at < ends_at,
            DoctorSession.ends_at > starts_at,
        )
    )
    if overlap:
        raise Conflict("SESSION_OVERLAP", "the doctor already has a session at that time")
    block = DoctorSession(
        doctor_id=doctor_id,
        room_id=room_id if room_id is not None else doctor.room_id,
        day=starts_at.date(),
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=slot_minutes,
        capacity_per_slot=capacity_per_slot,
        overbook_cap=overbook_cap,
    )
    db.add(block)
    await db.flush()
    step = timedelta(minutes=slot_minutes)
    at = starts_at
    while at + step <= ends_at:
        db.add(
            Slot(
                session_id=block.id,
                doctor_id=doctor_id,
                starts_at=at,
                ends_at=at + step,
                capacity=capacity_per_slot,
                overbook_cap=overbook_cap,
                booked=0,
                expected_shows_milli=0,
            )
        )
        at += step
    audit(db, actor, "session.create", None, details={"session_id": block.id}, now=now)
    await db.flush()
    return block


async def delay_session(
    db: AsyncSession,
    actor: Actor,
    *,
    session_id: int,
    delay_minutes: int,
    now: datetime,
) -> DoctorSession:
    """Record that a doctor starts late: the waits of their line and the shared one move."""
    row = await db.get(DoctorSession, session_id, with_for_update=True)
    if row is None:
        raise not_found("session", session_id)
    before, row.delay_minutes = row.delay_minutes, delay_minutes
    department_id = row.doctor.department_id
    audit(
        db,
        actor,
        "session.delay",
        None,
        details={"session_id": row.id, "from_minutes": before, "to_minutes": delay_minutes},
        now=now,
    )
    # A new version even when nobody waits: the plan made before the delay no longer holds.
    # Bumped before the events, so that the re-plan their first one brings (the planning
    # listener) is the new version's, and the notifications compare it with the plan shown.
    await versions.bump(db, department_id, row.day)
    # One event per patient whose wait moves (the doctor's line and the shared one), so that
    # each screen showing them redraws; the department's rooms redraw with the first.
    for ticket in await _waiting_for(db, row, department_id):
        await publish(
            db,
            EventKind.SESSION_DELAYED,
            ticket,
            now,
            session_id=row.id,
            delay_minutes=delay_minutes,
        )
    return row


async def _waiting_for(db: AsyncSession, row: DoctorSession, department_id: int) -> list[Ticket]:
    """Return the day's bookings and waiting tickets of the doctor, and the department's shared."""
    found = await db.scalars(
        select(Ticket)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(
            Ticket.queue_department_id == department_id,
            Ticket.day == row.day,
            or_(Ticket.doctor_id == row.doctor_id, Ticket.doctor_id.is_(None)),
            Appointment.status.in_((TicketStatus.BOOKED, TicketStatus.WAITING)),
        )
        .order_by(Ticket.id)
    )
    return list(found.unique().all())


@dataclass(frozen=True, slots=True)
class EarlyClose:
    """What closing a session early changed: the session, its queue and who moved."""

    doctor_session: DoctorSession
    department_id: int
    moved_ticket_ids: tuple[int, ...]
    closed_slots: int


async def close_session_early(
    db: AsyncSession,
    actor: Actor,
    *,
    session_id: int,
    at: datetime,
    reason: str,
    now: datetime,
) -> EarlyClose:
    """Let a doctor leave at `at`: later slots close, their patients go to the shared queue."""
    row = await db.get(DoctorSession, session_id, with_for_update=True)
    if row is None:
        raise not_found("session", session_id)
    if row.closed_early_at is not None:
        raise Conflict(
            "ALREADY_CLOSED",
            "this session was already closed early",
            {"closed_early_at": row.closed_early_at.isoformat()},
        )
    if not row.starts_at < at <= row.ends_at:
        raise Invalid(
            "CLOSE_OUTSIDE_SESSION",
            "the session can only close after it starts and no later than it ends",
            {"starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()},
        )
    if at < now:
        raise Invalid(
            "CLOSE_IN_PAST", "a session cannot close in the past", {"now": now.isoformat()}
        )
    row.closed_early_at = at
    # Capacity 0 and a cap equal to what the slot holds make both guarded UPDATEs of
    # booking refuse, while `booked <= capacity + overbook_cap` stays true.
    closed = await db.execute(
        update(Slot)
        .where(Slot.session_id == row.id, Slot.starts_at >= at)
        .values(capacity=0, overbook_cap=Slot.booked)
        .execution_options(synchronize_session=False)
    )
    tickets = await _leaving_tickets(db, row, at)
    for ticket in tickets:
        # They keep token, urgency and appointment time: only the doctor is left open.
        ticket.doctor_id, ticket.room_id = None, None
        ticket.appointment.updated_at = now
    department_id = row.doctor.department_id
    audit(
        db,
        actor,
        "session.close",
        None,
        reason=reason,
        details={
            "session_id": row.id,
            "at": at.isoformat(),
            "moved_ticket_ids": [t.id for t in tickets],
        },
        now=now,
    )
    for ticket in tickets:
        await publish(
            db,
            EventKind.SESSION_CLOSED,
            ticket,
            now,
            previous_doctor_id=row.doctor_id,
            session_id=row.id,
            booking=ticket.appointment.slot_id is not None,
        )
    # A new version even when nobody moved: the doctor's end of day changed the plan.
    await versions.bump(db, department_id, row.day)
    return EarlyClose(
        row,
        department_id,
        tuple(t.id for t in tickets),
        closed.rowcount,  # type: ignore[attr-defined]
    )


async def _leaving_tickets(db: AsyncSession, row: DoctorSession, at: datetime) -> list[Ticket]:
    """Return the doctor's bookings from `at` on in this session, and their waiting walk-ins."""
    live = (TicketStatus.BOOKED, TicketStatus.WAITING)
    found = await db.scalars(
        select(Ticket)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .outerjoin(Slot, Appointment.slot_id == Slot.id)
        .where(
            Ticket.doctor_id == row.doctor_id,
            Ticket.day == row.day,
            or_(
                and_(
                    Slot.session_id == row.id,
                    Slot.starts_at >= at,
                    Appointment.status.in_(live),
                ),
                and_(Appointment.slot_id.is_(None), Appointment.status == TicketStatus.WAITING),
            ),
        )
        .order_by(Ticket.id)
        .with_for_update()
    )
    return list(found.unique().all())


async def create_user(
    db: AsyncSession,
    actor: Actor,
    *,
    username: str,
    password_hash: str,
    role: Role,
    full_name: str,
    now: datetime,
) -> User:
    """Add a login; usernames are unique."""
    if await db.scalar(select(User.id).where(User.username == username)):
        raise Conflict("USERNAME_TAKEN", f"username {username} is taken")
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        full_name=full_name,
        created_at=now,
    )
    db.add(user)
    await db.flush()
    audit(
        db,
        actor,
        "user.create",
        None,
        details={"user_id": user.id, "role": role.value},
        now=now,
    )
    return user


async def create_display(
    db: AsyncSession,
    actor: Actor,
    *,
    name: str,
    department_id: int | None,
    now: datetime,
    language: str = "en",
    speech: bool = True,
    kind: DisplayKind = DisplayKind.BOARD,
) -> tuple[Display, str]:
    """Register a TV board or a kiosk; its key is returned once and only its hash is kept."""
    if department_id is not None and await db.get(Department, department_id) is None:
        raise not_found("department", department_id)
    if await db.scalar(select(Display.id).where(Display.name == name)):
        raise Conflict("DISPLAY_EXISTS", f"a display named {name} exists")
    key = new_secret("dk")
    display = Display(
        name=name,
        department_id=department_id,
        key_hash=digest(key),
        language=language,
        speech=speech,
        kind=kind,
        created_at=now,
    )
    db.add(display)
    await db.flush()
    audit(
        db,
        actor,
        "display.create",
        None,
        details={"display_id": display.id, "kind": kind.value},
        now=now,
    )
    return display, key
