"""Log in and out, a new password, API tokens, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field
from quart import Blueprint, Response, g, jsonify, request
from quart_auth import AuthUser, login_user, logout_user
from quart_schema import validate_querystring, validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import accounts
from server.api.schemas import LoginIn, Strict, TokenIn
from server.auth.addresses import client_address
from server.auth.passwords import hash_password, verify_password
from server.auth.permissions import allowed
from server.auth.scopes import check_grantable
from server.auth.secrets import digest, new_secret
from server.auth.sessions import end_session, start_session
from server.auth.web import (
    CSRF_COOKIE,
    access,
    actor,
    check_csrf,
    csrf_token_for,
    current_actor,
    public,
    requires,
    session_key,
)
from server.errors import APIError, DomainError, forbidden
from server.models import ApiToken, User
from server.services import Services, clinic

bp = Blueprint("auth", __name__, url_prefix="/api/auth")
# It shows the login's CSRF token: kept by no cache and so never compressed (server/compression).
NO_STORE = {"Cache-Control": "no-store"}


class PasswordIn(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=10, max_length=256)


class TokensQuery(Strict):
    user_id: int | None = Field(None, ge=1, le=2**31 - 1, description="admins: another's tokens")


def client_ip() -> str:
    """Return the client's address; X-Forwarded-For counts only from CLINIC_TRUSTED_PROXIES."""
    proxies = clinic().settings.proxy_networks
    forwarded = request.headers.getlist("X-Forwarded-For") or request.headers.getlist("X-Real-IP")
    return client_address(request.remote_addr, forwarded, proxies)


def _limit_keys(services: Services, username: str, address: str) -> list[tuple[str, int]]:
    """Return the counters a failed login adds to, with the limit of each."""
    settings = services.settings
    return [
        (f"pair:{username}|{address}", settings.login_max_failures),
        (f"account:{username}", settings.login_account_max_failures),
        (f"address:{address}", settings.login_address_max_failures),
    ]


async def begin_login(services: Services, user_id: int) -> str:
    """Start a server-side login for the session cookie; return its CSRF token."""
    lifetime = services.settings.session_lifetime
    key = await services.run(lambda s: start_session(s, user_id, services.clock(), lifetime))
    login_user(AuthUser(key))
    return csrf_token_for(services.settings.secret_key, key)


def with_csrf_cookie(services: Services, response: Response, csrf: str) -> Response:
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        samesite="Lax",
        secure=services.settings.cookie_secure,
        max_age=int(services.settings.session_lifetime.total_seconds()),
    )
    return response


def forget_tokens(services: Services) -> None:
    """Drop this process's memory of token owners; other processes forget within 30 s."""
    access().actors.clear()


@bp.post("/login")
@public
@validate_request(LoginIn)
async def login(data: LoginIn) -> Response:
    """Log in with username and password; sets the session cookie."""
    services = clinic()
    username = data.username.lower()
    keys = _limit_keys(services, username, client_ip())
    for key, limit in keys:
        if await access().limiter.blocked(key, limit):
            raise APIError(429, "RATE_LIMITED", "too many failed logins; wait a few minutes")
    user = await services.read(
        lambda s: s.scalar(select(User).where(User.username == data.username))
    )
    if user is None and username != data.username:  # patients log in with an e-mail, any case
        user = await services.read(
            lambda s: s.scalar(select(User).where(User.username == username))
        )
    ok = await verify_password(user.password_hash if user else None, data.password)
    if user is None or not ok or not user.active:
        for key, _ in keys:
            await access().limiter.fail(key)
        raise APIError(401, "BAD_CREDENTIALS", "wrong username or password")
    await access().limiter.reset(keys[0][0])  # the account's own count decays with its window
    csrf = await begin_login(services, user.id)
    body = {
        "user": {
            "id": user.id,
            "username": user.username,
            "role": user.role.value,
            "full_name": user.full_name,
        },
        "csrf_token": csrf,
    }
    return with_csrf_cookie(services, jsonify(body), csrf)


@bp.post("/logout")
@public
async def logout() -> Response:
    """Log out: the login ends on the server, its cookies are cleared (CSRF required)."""
    services = clinic()
    key = session_key()
    if key is not None and await current_actor() is not None and g.get("via_cookie"):
        check_csrf()  # another site must not be able to log the user out
        await services.run(lambda s: end_session(s, key))
    logout_user()
    response = jsonify({"ok": True})
    response.delete_cookie(CSRF_COOKIE)
    return response


@bp.get("/me")
@requires("self")
async def me() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Tell the caller who they are, and their login's CSRF token (null for a bearer)."""
    who = actor()
    if who.user_id is None:
        raise RuntimeError("a request's actor is always a user")
    key = session_key() if g.get("via_cookie") else None
    return (
        {
            "user_id": who.user_id,
            "role": who.role.value,
            "name": who.name,
            "doctor_id": who.doctor_id,
            "patient_id": who.patient_id,
            "csrf_token": csrf_token_for(clinic().settings.secret_key, key) if key else None,
        },
        200,
        NO_STORE,
    )


@bp.post("/password")
@requires("self")
@validate_request(PasswordIn)
async def change_password(data: PasswordIn) -> Response:
    """Set a new password; every other login and every bearer token of the caller ends."""
    services, who = clinic(), actor()
    if who.user_id is None:
        raise RuntimeError("a request's actor is always a user")
    user_id = who.user_id
    user = await services.read(lambda s: s.get(User, user_id))
    if user is None or not await verify_password(user.password_hash, data.current_password):
        raise APIError(403, "BAD_CREDENTIALS", "the current password is wrong")
    hashed = await hash_password(data.new_password)
    await services.run(
        lambda s: accounts.change_password(
            s, who, user_id=user_id, password_hash=hashed, now=services.clock()
        )
    )
    forget_tokens(services)
    if not g.get("via_cookie"):
        return jsonify({"ok": True, "csrf_token": None})
    csrf = await begin_login(services, user_id)  # this browser stays logged in, afresh
    return with_csrf_cookie(services, jsonify({"ok": True, "csrf_token": csrf}), csrf)


@bp.post("/tokens")
@requires("self")
@validate_request(TokenIn)
async def create_token(data: TokenIn) -> tuple[dict[str, Any], int]:
    """Create a bearer token for API clients; it is shown once."""
    services, who = clinic(), actor()
    try:
        scopes = check_grantable(data.scopes or [], who.role, who.patient_id is not None)
    except DomainError as refusal:
        raise APIError(422, refusal.code, refusal.message, refusal.details) from None
    secret = new_secret("cq")
    expires = services.clock() + timedelta(days=services.settings.api_token_days)

    async def work(db: AsyncSession) -> ApiToken:
        row = ApiToken(
            user_id=who.user_id,
            token_hash=digest(secret),
            name=data.name,
            created_at=services.clock(),
            expires_at=expires,
            scopes=scopes,
        )
        db.add(row)
        await db.flush()
        return row

    row = await services.run(work)
    body = {"id": row.id, "token": secret, "expires_at": expires.isoformat()}
    return {**body, "scopes": scopes.split()}, 201


@bp.get("/tokens")
@requires("self")
@validate_querystring(TokensQuery)
async def list_tokens(query_args: TokensQuery) -> dict[str, Any]:
    """List the caller's bearer tokens (never the secrets); an admin may ask for a user's."""
    services, who = clinic(), actor()
    user_id = who.user_id
    if query_args.user_id is not None and query_args.user_id != who.user_id:
        if not allowed(who.role, "admin.manage"):
            raise forbidden("only an admin may list another user's tokens")
        user_id = query_args.user_id
    now = services.clock()

    async def work(db: AsyncSession) -> list[dict[str, Any]]:
        rows = await db.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        )
        return [
            {
                "id": row.id,
                "user_id": row.user_id,
                "name": row.name,
                "created_at": row.created_at.isoformat(),
                "expires_at": row.expires_at.isoformat(),
                "expired": row.expires_at <= now,
                "scopes": row.scopes.split(),
            }
            for row in rows.all()
        ]

    return {"tokens": await services.read(work)}


@bp.delete("/tokens/<int:token_id>")
@requires("self")
async def revoke_token(token_id: int) -> tuple[str, int]:
    """Revoke a bearer token: one's own, or anyone's for an admin; it stops working at once."""
    services, who = clinic(), actor()
    await services.run(
        lambda s: accounts.revoke_token(s, who, token_id=token_id, now=services.clock())
    )
    forget_tokens(services)
    return "", 204
