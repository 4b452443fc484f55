"""Factories: make what a test needs with sensible defaults, override what it cares about."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin
from server.auth.actor import SYSTEM, Actor
from server.auth.secrets import digest, new_secret
from server.models import ApiToken, Department, Doctor, DoctorSession, Patient, Role, Room, User
from tests.conftest import T0

_seq = itertools.count(1)
PREFIXES = iter(
    f"{a}{b}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


async def make_department(db: AsyncSession, **overrides: Any) -> Department:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"D{n}",
        "name": f"Department {n}",
        "token_prefix": next(PREFIXES),
        "rooms": [f"Room {n}A", f"Room {n}B"],
    }
    values.update(overrides)
    return await admin.create_department(db, SYSTEM, now=T0, **values)


async def make_room(db: AsyncSession, department: Department, name: str | None = None) -> Room:
    room = Room(department_id=department.id, name=name or f"Room {next(_seq)}")
    db.add(room)
    await db.flush()
    return room


async def make_doctor(
    db: AsyncSession, department: Department | None = None, **overrides: Any
) -> Doctor:
    department = department or await make_department(db)
    room = await make_room(db, department)
    values: dict[str, Any] = {"name": f"Dr. Test {next(_seq)}", "room_id": room.id}
    values.update(overrides)
    return await admin.create_doctor(db, SYSTEM, department_id=department.id, now=T0, **values)


async def make_session(db: AsyncSession, doctor: Doctor, **overrides: Any) -> DoctorSession:
    values: dict[str, Any] = {
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=4),
        "slot_minutes": 15,
        "capacity_per_slot": 1,
        "overbook_cap": 1,
    }
    values.update(overrides)
    return await admin.create_session(db, SYSTEM, doctor_id=doctor.id, now=T0, **values)


async def make_patient(db: AsyncSession, **overrides: Any) -> Patient:
    n = next(_seq)
    values: dict[str, Any] = {
        "record_number": f"MRN-T{n}",
        "full_name": f"Patient {n}",
        "date_of_birth": date(1980, 1, 1) + timedelta(days=n),
        "sex": "F",
        "phone": f"+1555{n:07d}",
        "email": f"p{n}@example.org",
        "created_at": T0,
    }
    values.update(overrides)
    patient = Patient(**values)
    db.add(patient)
    await db.flush()
    return patient


async def make_user(db: AsyncSession, role: Role, **overrides: Any) -> User:
    n = next(_seq)
    values: dict[str, Any] = {
        "username": f"{role.value}{n}",
        "password_hash": "not-a-hash",
        "role": role,
        "full_name": f"{role.value.title()} {n}",
        "created_at": T0,
    }
    values.update(overrides)
    user = User(**values)
    db.add(user)
    await db.flush()
    return user


async def make_token(db: AsyncSession, user: User, expires: datetime | None = None) -> str:
    """Give a user a bearer token; return the secret for an Authorization header."""
    secret = new_secret("cq")
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=digest(secret),
            created_at=T0,
            expires_at=expires or T0 + timedelta(days=1),
        )
    )
    await db.flush()
    return secret


def actor_of(user: User, doctor: Doctor | None = None, patient: Patient | None = None) -> Actor:
    return Actor(
        user.id,
        user.role,
        user.full_name,
        doctor.id if doctor else None,
        patient.id if patient else None,
    )
