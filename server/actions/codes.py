"""Pending account requests: make one, count an attempt, open it with its code, send it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.actor import Actor
from server.auth.codes import code_hash, new_code, new_request_key, same_code
from server.auth.secrets import digest
from server.errors import Invalid
from server.models import AccountCode, Role

CODE_LIFETIME = timedelta(minutes=15)
MAX_ATTEMPTS = 5
# Spent and expired requests stay a day (for the audit trail's sake), then go.
KEEP_FOR = timedelta(days=1)
# Who acts before a login exists: a patient at a sign-up or reset form.
SELF_SERVICE = Actor(user_id=None, role=Role.PATIENT, name="self-service")


@dataclass(frozen=True, slots=True)
class AccountMessage:
    """A message to a (future) account holder: a code or a link, not about a visit."""

    kind: str  # the template: signup_code | reset_code | invite
    channel: str  # sms | email
    to_address: str
    language: str
    occasion: str  # unique per message: the request's row id
    facts: dict[str, Any] = field(default_factory=dict)


# Writes the message into the outbox, in the action's transaction (server/notify/accounts.py).
Send = Callable[[AsyncSession, AccountMessage, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Issued:
    """A new request: the key the client keeps, the code the patient gets, the row."""

    request_key: str
    code: str
    row: AccountCode


async def issue(
    db: AsyncSession,
    *,
    purpose: str,
    secret_key: str,
    now: datetime,
    lifetime: timedelta = CODE_LIFETIME,
    **values: Any,
) -> Issued:
    """Store a new request with a fresh code; clear long-dead requests on the way."""
    await db.execute(delete(AccountCode).where(AccountCode.expires_at < now - KEEP_FOR))
    request_key, code = new_request_key(), new_code()
    row = AccountCode(
        purpose=purpose,
        request_hash=digest(request_key),
        code_hash=code_hash(secret_key, request_key, code),
        expires_at=now + lifetime,
        created_at=now,
        attempts=0,
        **values,
    )
    db.add(row)
    await db.flush()
    return Issued(request_key, code, row)


async def count_attempt(db: AsyncSession, purpose: str, request_key: str) -> None:
    """Count one try at a request's code, in a transaction of its own (a refusal keeps it)."""
    await db.execute(
        update(AccountCode)
        .where(AccountCode.request_hash == digest(request_key), AccountCode.purpose == purpose)
        .values(attempts=AccountCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def expired() -> Invalid:
    """Build the refusal of a request that cannot be used any more."""
    return Invalid(
        "CODE_EXPIRED", "this code has expired or was used; ask for a new one", {"retry": False}
    )


async def open_request(
    db: AsyncSession,
    *,
    purpose: str,
    request_key: str,
    now: datetime,
    secret_key: str | None = None,
    code: str | None = None,
) -> AccountCode:
    """Lock a live request and check its code (when one is given); mark it used.

    422 CODE_EXPIRED when it is unknown, used, expired or out of attempts; 422 CODE_WRONG
    with the attempts left otherwise. The caller's transaction commits the use with the rest.
    """
    row = await db.scalar(
        select(AccountCode)
        .where(AccountCode.request_hash == digest(request_key), AccountCode.purpose == purpose)
        .with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise expired()
    if row.attempts > MAX_ATTEMPTS:
        raise expired()
    wrong = code is not None and not same_code(secret_key or "", request_key, code, row.code_hash)
    if wrong:
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise expired()
        raise Invalid("CODE_WRONG", "this code is not right", {"attempts_left": left})
    row.used_at = now
    return row
