"""Setting the clinic up: departments, doctors, sessions and their slots, users, displays."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.auth.actor import Actor
from server.auth.secrets import digest, new_secret
from server.errors import APIError, not_found
from server.models import Department, Display, Doctor, DoctorSession, Room, Slot, User
from server.models.users import Role


async def create_department(
    session: AsyncSession,
    actor: Actor,
    *,
    code: str,
    name: str,
    token_prefix: str,
    rooms: list[str],
    now: datetime,
) -> Department:
    """Add a department and its rooms; codes and token letters are unique."""
    clash = await session.scalar(
        select(func.count(Department.id)).where(
            (Department.code == code) | (Department.token_prefix == token_prefix)
        )
    )
    if clash:
        raise APIError(409, "DEPARTMENT_EXISTS", "that code or token prefix is taken")
    department = Department(code=code, name=name, token_prefix=token_prefix)
    session.add(department)
    await session.flush()
    for room in rooms:
        session.add(Room(department_id=department.id, name=room))
    audit(
        session, actor, "department.create", None, details={"department_id": department.id}, now=now
    )
    await session.flush()
    return department


async def create_doctor(
    session: AsyncSession,
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
    if await session.get(Department, department_id) is None:
        raise not_found("department", department_id)
    if user_id is not None:
        user = await session.get(User, user_id)
        if user is None or user.role is not Role.DOCTOR:
            raise APIError(
                422, "NOT_A_DOCTOR_USER", "user_id must name a user with the doctor role"
            )
    doctor = Doctor(
        department_id=department_id,
        name=name,
        specialty=specialty,
        room_id=room_id,
        user_id=user_id,
    )
    session.add(doctor)
    await session.flush()
    audit(session, actor, "doctor.create", None, details={"doctor_id": doctor.id}, now=now)
    return doctor


async def create_session(
    session: AsyncSession,
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
) -> DoctorSession:
    """Open a doctor's session and cut it into slots."""
    doctor = await session.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    if ends_at <= starts_at or ends_at - starts_at > timedelta(hours=16):
        raise APIError(422, "BAD_SESSION_TIMES", "a session ends after it starts, within 16 hours")
    overlap = await session.scalar(
        select(func.count(DoctorSession.id)).where(
            DoctorSession.doctor_id == doctor_id,
            DoctorSession.starts_at < ends_at,
            DoctorSession.ends_at > starts_at,
        )
    )
    if overlap:
        raise APIError(409, "SESSION_OVERLAP", "the doctor already has a session at that time")
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
    session.add(block)
    await session.flush()
    step = timedelta(minutes=slot_minutes)
    at = starts_at
    while at + step <= ends_at:
        session.add(
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
    audit(session, actor, "session.create", None, details={"session_id": block.id}, now=now)
    await session.flush()
    return block


async def create_user(
    session: AsyncSession,
    actor: Actor,
    *,
    username: str,
    password_hash: str,
    role: Role,
    full_name: str,
    now: datetime,
) -> User:
    """Add a login; usernames are unique."""
    if await session.scalar(select(User.id).where(User.username == username)):
        raise APIError(409, "USERNAME_TAKEN", f"username {username} is taken")
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        full_name=full_name,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    audit(
        session,
        actor,
        "user.create",
        None,
        details={"user_id": user.id, "role": role.value},
        now=now,
    )
    return user


async def create_display(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    department_id: int | None,
    now: datetime,
    language: str = "en",
    speech: bool = True,
) -> tuple[Display, str]:
    """Register a TV board; its key is returned once and only its hash is kept."""
    if await session.scalar(select(Display.id).where(Display.name == name)):
        raise APIError(409, "DISPLAY_EXISTS", f"a display named {name} exists")
    key = new_secret("dk")
    display = Display(
        name=name,
        department_id=department_id,
        key_hash=digest(key),
        language=language,
        speech=speech,
        created_at=now,
    )
    session.add(display)
    await session.flush()
    audit(session, actor, "display.create", None, details={"display_id": display.id}, now=now)
    return display, key
