"""Turn a user id or a bearer token into an Actor."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.actor import Actor
from server.auth.secrets import digest
from server.auth.sessions import session_user
from server.models import ApiToken, Doctor, Guardianship, Patient, Role, User


async def actor_for_user(db: AsyncSession, user_id: int) -> Actor | None:
    """Load an active user as an Actor, with their doctor or patient record."""
    user = await db.get(User, user_id)
    if user is None or not user.active:
        return None
    doctor_id = await db.scalar(select(Doctor.id).where(Doctor.user_id == user.id))
    patient_id = await db.scalar(select(Patient.id).where(Patient.user_id == user.id))
    dependants: frozenset[int] = frozenset()
    if user.role is Role.PATIENT:  # only patients hold dependants: staff requests skip the read
        dependants = frozenset(
            await db.scalars(select(Guardianship.patient_id).where(Guardianship.user_id == user.id))
        )
    return Actor(user.id, user.role, user.full_name, doctor_id, patient_id, dependants=dependants)


async def actor_for_token(db: AsyncSession, token: str, now: datetime) -> Actor | None:
    """Load the Actor behind an unexpired bearer token."""
    row = await db.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.expires_at <= now:
        return None
    actor = await actor_for_user(db, row.user_id)
    return replace(actor, scopes=row.scopes) if actor is not None and row.scopes else actor


async def actor_for_session(db: AsyncSession, key: str, now: datetime) -> Actor | None:
    """Load the Actor behind a live browser login (the key its cookie carries)."""
    user_id = await session_user(db, key, now)
    return await actor_for_user(db, user_id) if user_id is not None else None
