"""Idempotency-Key on creating POSTs: a retried request gets the first answer, not a twin."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from quart import request
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.web import actor
from server.errors import APIError
from server.models import IdempotencyKey
from server.services import clinic

T = TypeVar("T")
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# A client may retry for a day; after that the key names a new request.
KEY_TTL = timedelta(hours=24)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces

Answer = tuple[dict[str, Any], int, dict[str, str]]


class _KeyTaken(Exception):
    """Another request with this key committed first (or holds it now)."""


def _key() -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not KEY_PATTERN.match(raw):
        raise APIError(
            400,
            "BAD_IDEMPOTENCY_KEY",
            f"{HEADER} must be 1 to 100 printable ASCII characters without spaces",
            {"header": HEADER},
        )
    return raw


async def _fingerprint() -> str:
    body = await request.get_data(True, False, False)
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def created(
    work: Callable[[AsyncSession], Awaitable[T]],
    render: Callable[[T], dict[str, Any]],
    status: int = 201,
) -> Answer:
    """Run a creating action once per Idempotency-Key (when the request carries one).

    The key row is inserted first, in the action's own transaction: a concurrent twin waits
    on it and then finds the committed answer, and a creation and its key commit together,
    so the guarantee survives restarts. Refusals (4xx) change nothing and are not remembered.
    """
    key = _key()
    services = clinic()
    user_id = actor().user_id
    if key is None or user_id is None:
        return render(await services.run(work)), status, {}
    fingerprint = await _fingerprint()

    async def claimed(db: AsyncSession) -> dict[str, Any]:
        now = services.clock()
        # The user's expired keys go first (this one too, if it expired): keys live a day.
        await db.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.created_at < now - KEY_TTL
            )
        )
        try:
            await db.execute(
                insert(IdempotencyKey).values(
                    user_id=user_id,
                    key=key,
                    fingerprint=fingerprint,
                    status=0,
                    body="",
                    created_at=now,
                )
            )
        except IntegrityError:
            raise _KeyTaken from None
        body = render(await work(db))
        await db.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .values(status=status, body=json.dumps(body, default=_iso))
        )
        return body

    for _ in range(2):
        try:
            return await services.run(claimed), status, {}
        except _KeyTaken:
            answer = await services.run(lambda s: _stored(s, user_id, key, fingerprint))
            if answer is not None:
                return answer
    raise APIError(409, "IDEMPOTENCY_KEY_BUSY", "a request with this key is still running")


async def _stored(db: AsyncSession, user_id: int, key: str, fingerprint: str) -> Answer | None:
    """Return the remembered answer, or None when there is none (any more)."""
    found = await db.get(IdempotencyKey, (user_id, key))
    if found is None or found.created_at < clinic().clock() - KEY_TTL:
        return None
    if found.fingerprint != fingerprint:
        raise APIError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            f"this {HEADER} was used for a different request",
            {"header": HEADER},
        )
    return json.loads(found.body), found.status, {REPLAYED_HEADER: "true"}


def _iso(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")
