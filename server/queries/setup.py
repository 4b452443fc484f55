"""The clinic's set-up as the admin's set-up screen lists it, deactivated rows included."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Department, Display, Doctor, Room, User
from server.models.users import Role


def room_out(room: Room) -> dict[str, Any]:
    """Show a room."""
    return {
        "id": room.id,
        "department_id": room.department_id,
        "name": room.name,
        "active": room.active,
    }


def department_setup_out(department: Department, rooms: list[Room]) -> dict[str, Any]:
    """Show a department with its rooms."""
    return {
        "id": department.id,
        "code": department.code,
        "name": department.name,
        "token_prefix": department.token_prefix,
        "active": department.active,
        "rooms": [room_out(r) for r in rooms if r.department_id == department.id],
    }


def doctor_setup_out(doctor: Doctor) -> dict[str, Any]:
    """Show a doctor with the ids the edit form picks from."""
    return {
        "id": doctor.id,
        "name": doctor.name,
        "specialty": doctor.specialty,
        "department_id": doctor.department_id,
        "room_id": doctor.room_id,
        "user_id": doctor.user_id,
        "active": doctor.active,
    }


def user_setup_out(user: User) -> dict[str, Any]:
    """Show a login without secrets."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "full_name": user.full_name,
        "language": user.language,
        "active": user.active,
    }


def display_setup_out(display: Display) -> dict[str, Any]:
    """Show a display without its key."""
    return {
        "id": display.id,
        "name": display.name,
        "department_id": display.department_id,
        "language": display.language,
        "speech": display.speech,
        "active": display.active,
    }


async def department_rooms(db: AsyncSession, department_id: int) -> list[Room]:
    """Return a department's rooms by name (deactivated ones included)."""
    rows = await db.scalars(
        select(Room).where(Room.department_id == department_id).order_by(Room.name)
    )
    return list(rows)


async def setup_overview(db: AsyncSession) -> dict[str, Any]:
    """Read every department, room, doctor, staff login and display, by name."""
    departments = list(await db.scalars(select(Department).order_by(Department.name)))
    rooms = list(await db.scalars(select(Room).order_by(Room.name)))
    doctors = (await db.scalars(select(Doctor).order_by(Doctor.name))).unique()
    users = await db.scalars(select(User).where(User.role != Role.PATIENT).order_by(User.username))
    displays = await db.scalars(select(Display).order_by(Display.name))
    return {
        "departments": [department_setup_out(d, rooms) for d in departments],
        "doctors": [doctor_setup_out(d) for d in doctors],
        "users": [user_setup_out(u) for u in users],
        "displays": [display_setup_out(d) for d in displays],
    }
