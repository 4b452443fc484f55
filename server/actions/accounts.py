"""Changes to a login: a new password, a deactivation, a revoked bearer token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.auth.actor import Actor
from server.auth.permissions import allowed
from server.auth.sessions import end_every_login
from server.errors import not_found
from server.models import ApiToken, User


async def _user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id, with_for_update=True)
    if user is None:
        raise not_found("user", user_id)
    return user


async def change_password(
    db: AsyncSession, actor: Actor, *, user_id: int, password_hash: str, now: datetime
) -> None:
    """Set a new password; every login and bearer token of the user ends with the old one."""
    user = await _user(db, user_id)
    user.password_hash = password_hash
    await end_every_login(db, user_id)
    audit(db, actor, "user.password", None, details={"user_id": user_id}, now=now)


async def deactivate_user(db: AsyncSession, actor: Actor, *, user_id: int, now: datetime) -> User:
    """Stop a user logging in; their logins and bearer tokens end at once."""
    user = await _user(db, user_id)
    user.active = False
    await end_every_login(db, user_id)
    audit(db, actor, "user.deactivate", None, details={"user_id": user_id}, now=now)
    return user


async def revoke_token(db: AsyncSession, actor: Actor, *, token_id: int, now: datetime) -> None:
    """Delete a bearer token: the caller's own, or anyone's for an admin (404 otherwise)."""
    row = await db.get(ApiToken, token_id, with_for_update=True)
    mine = row is not None and row.user_id == actor.user_id
    if row is None or not (mine or allowed(actor.role, "admin.manage")):
        raise not_found("token", token_id)  # another's token: not even whether it exists
    details = {"token_id": token_id, "user_id": row.user_id}
    await db.delete(row)
    audit(db, actor, "token.revoke", None, details=details, now=now)
