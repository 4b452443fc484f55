"""Log in and out, API tokens, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Blueprint, Response, jsonify, request
from quart_auth import AuthUser, login_user, logout_user
from quart_schema import validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.schemas import LoginIn, TokenIn
from server.auth.passwords import verify_password
from server.auth.secrets import digest, new_secret
from server.auth.web import CSRF_COOKIE, actor, csrf_token_for, public, requires
from server.errors import APIError
from server.models import ApiToken, User
from server.state import clinic

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@bp.post("/login")
@public
@validate_request(LoginIn)
async def login(data: LoginIn) -> Response:
    """Log in with username and password; sets the session cookie."""
    state = clinic()
    key = f"{data.username.lower()}|{_client_ip()}"
    if await state.limiter.blocked(key):
        raise APIError(429, "RATE_LIMITED", "too many failed logins; wait a few minutes")
    user = await state.read(lambda s: s.scalar(select(User).where(User.username == data.username)))
    ok = await verify_password(user.password_hash if user else None, data.password)
    if user is None or not ok or not user.active:
        await state.limiter.fail(key)
        raise APIError(401, "BAD_CREDENTIALS", "wrong username or password")
    await state.limiter.reset(key)
    login_user(AuthUser(str(user.id)))
    csrf = csrf_token_for(state.settings.secret_key, user.id)
    response = jsonify(
        {
            "user": {
                "id": user.id,
                "username": user.username,
                "role": user.role.value,
                "full_name": user.full_name,
            },
            "csrf_token": csrf,
        }
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        samesite="Lax",
        secure=state.settings.cookie_secure,
        max_age=int(state.settings.session_lifetime.total_seconds()),
    )
    return response


@bp.post("/logout")
@public
async def logout() -> Response:
    """Log out: the session cookie is cleared."""
    logout_user()
    response = jsonify({"ok": True})
    response.delete_cookie(CSRF_COOKIE)
    return response


@bp.get("/me")
@requires("self")
async def me() -> dict[str, Any]:
    """Tell the caller who they are, and their CSRF token."""
    who = actor()
    assert who.user_id is not None
    return {
        "user_id": who.user_id,
        "role": who.role.value,
        "name": who.name,
        "doctor_id": who.doctor_id,
        "patient_id": who.patient_id,
        "csrf_token": csrf_token_for(clinic().settings.secret_key, who.user_id),
    }


@bp.post("/tokens")
@requires("self")
@validate_request(TokenIn)
async def create_token(data: TokenIn) -> tuple[dict[str, Any], int]:
    """Create a bearer token for API clients; it is shown once."""
    state, who = clinic(), actor()
    secret = new_secret("cq")
    expires = state.clock() + timedelta(days=state.settings.api_token_days)

    async def work(session: AsyncSession) -> None:
        session.add(
            ApiToken(
                user_id=who.user_id,
                token_hash=digest(secret),
                name=data.name,
                created_at=state.clock(),
                expires_at=expires,
            )
        )

    await state.run(work)
    return {"token": secret, "expires_at": expires.isoformat()}, 201
