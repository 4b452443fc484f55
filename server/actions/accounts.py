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


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise not_found("user", user_id)
    return user


async def change_password(
    session: AsyncSession, actor: Actor, *, user_id: int, password_hash: str, now: datetime
) -> None:
    """Set a new password; every login and bearer token of the user ends with the old one."""
    user = await _user(session, user_id)
    user.password_hash = password_hash
    await end_every_login(session, user_id)
    audit(session, actor, "user.password", None, details={"user_id": user_id}, now=now)


async def deactivate_user(
    session: AsyncSession, actor: Actor, *, user_id: int, now: datetime
) -> User:
    """Stop a user logging in; their logins and bearer tokens end at once."""
    user = await _user(session, user_id)
    user.active = False
    await end_every_login(session, user_id)
    audit(session, actor, "user.deactivate", None, details={"user_id": user_id}, now=now)
    return user


async def revoke_token(
    session: AsyncSession, actor: Actor, *, token_id: int, now: datetime
) -> None:
    """Delete a bearer token: the caller's own, or anyone's for an admin (404 otherwise)."""
    row = await session.get(ApiToken, token_id, with_for_update=True)
    mine = row is not None and row.user_id == actor.user_id
    if row is None or not (mine or allowed(actor.role, "admin.manage")):
        raise not_found("token", token_id)  # another's token: not even whether it exists
    details = {"token_id": token_id, "user_id": row.user_id}
    await session.delete(row)
    audit(session, actor, "token.revoke", None, details=details, now=now)
