"""Browser logins kept on the server, so that logging out really ends one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import digest, new_secret
from server.models import ApiToken, LoginSession


async def start_session(db: AsyncSession, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """Record a new login and return its key (the cookie carries it, signed)."""
    # The user's expired logins go now: the table holds live ones, plus a few.
    await db.execute(
        delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.expires_at <= now)
    )
    key = new_secret("ls")
    db.add(
        LoginSession(
            user_id=user_id, key_hash=digest(key), created_at=now, expires_at=now + lifetime
        )
    )
    return key


async def session_user(db: AsyncSession, key: str, now: datetime) -> int | None:
    """Return the user of a live login, or None once it ended or expired."""
    found = await db.scalar(
        select(LoginSession.user_id).where(
            LoginSession.key_hash == digest(key), LoginSession.expires_at > now
        )
    )
    return int(found) if found is not None else None


async def end_session(db: AsyncSession, key: str) -> None:
    """End one login (logout)."""
    await db.execute(delete(LoginSession).where(LoginSession.key_hash == digest(key)))


async def end_every_login(db: AsyncSession, user_id: int) -> None:
    """End every login and revoke every bearer token of a user."""
    await db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    await db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
