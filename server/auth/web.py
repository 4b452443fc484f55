"""Authentication and permission checks for HTTP routes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

from quart import Quart, current_app, g, request
from quart_auth import current_user

from server.auth.actor import Actor
from server.auth.cache import ActorCache
from server.auth.identity import actor_for_session, actor_for_token
from server.auth.permissions import PERMISSIONS, require
from server.auth.ratelimit import Limiter
from server.errors import APIError
from server.services import clinic

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_COOKIE = "csrf_token"


@dataclass
class Access:
    """One server process's login limiter and memory of token owners (made by server/runtime)."""

    limiter: Limiter
    actors: ActorCache = field(default_factory=ActorCache)


def access(app: Quart | None = None) -> Access:
    """Return the login limiter and token cache of `app` (default: the current app)."""
    target = app if app is not None else current_app
    found: Access = target.extensions["clinic_access"]
    return found


def csrf_token_for(secret_key: str, session_key: str) -> str:
    """Derive the CSRF token of one login (sent as a cookie, echoed in a header)."""
    message = f"csrf:{session_key}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def session_key() -> str | None:
    """Return the login key the request's signed session cookie carries, if any."""
    key = current_user.auth_id
    return key if isinstance(key, str) and key.startswith("ls_") else None


async def current_actor() -> Actor | None:
    """Resolve the caller from a bearer token or the session cookie, once per request."""
    if "actor" in g:
        return cast(Actor | None, g.actor)
    services = clinic()
    header = request.headers.get("Authorization", "")
    actor: Actor | None = None
    g.via_cookie = False
    key = session_key()
    if header.startswith("Bearer "):
        actor = await _actor_for_bearer(header.removeprefix("Bearer ").strip())
    elif key is not None:
        actor = await services.read(lambda s: actor_for_session(s, key, services.clock()))
        g.via_cookie = actor is not None
    g.actor = actor
    return actor


async def _actor_for_bearer(token: str) -> Actor:
    services = clinic()
    cache = access().actors
    actor = cache.get(token)
    if actor is None:
        actor = await services.read(lambda s: actor_for_token(s, token, services.clock()))
        if actor is None:
            raise APIError(401, "TOKEN_INVALID", "the bearer token is unknown or expired")
        cache.put(token, actor)
    return actor


def check_csrf() -> None:
    """Refuse 403 a cookie-authenticated write without its login's CSRF token."""
    key = session_key()
    if request.method not in UNSAFE or not g.get("via_cookie") or key is None:
        return
    expected = csrf_token_for(clinic().settings.secret_key, key)
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), expected):
        raise APIError(
            403, "CSRF_FAILED", f"send the {CSRF_HEADER} header from the {CSRF_COOKIE} cookie"
        )


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a route needs; refuse 401/403 before the route runs."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: F) -> F:
        @wraps(view)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = await current_actor()
            if actor is None:
                raise APIError(401, "UNAUTHENTICATED", "log in or send a bearer token")
            if actor.scopes is not None:  # a scoped token is held to its scopes: FHIR only
                raise APIError(403, "TOKEN_SCOPED", "this token has FHIR scopes: use /fhir/R4")
            require(actor.role, permission)
            check_csrf()
            return await view(*args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


def public(view: F) -> F:
    """Declare a route open to anyone (pages, login, health)."""
    view.permission = "public"  # type: ignore[attr-defined]
    return view


def actor() -> Actor:
    """Return the actor of a route guarded by `requires`."""
    value = g.get("actor")
    if not isinstance(value, Actor):
        raise RuntimeError("actor() outside a route guarded by requires()")
    return value
