"""The outbox table's operations: add once, claim with a lease, record outcomes, resend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from server.errors import Conflict, not_found
from server.models.outbox import OutboxMessage, OutboxStatus

TABLE = cast(Table, OutboxMessage.__table__)


@dataclass(frozen=True, slots=True)
class Draft:
    """A message ready to be queued."""

    idem_key: str
    appointment_id: int | None
    kind: str
    channel: str
    to_address: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed message."""

    message_id: int
    status: OutboxStatus
    next_attempt_at: datetime
    error: str = ""
    provider_id: str | None = None


async def add(
    db: AsyncSession, draft: Draft, now: datetime, not_before: datetime | None = None
) -> None:
    """Queue a message unless one with its idempotency key exists (then do nothing)."""
    values: dict[str, Any] = {
        "idem_key": draft.idem_key[:191],
        "appointment_id": draft.appointment_id,
        "kind": draft.kind,
        "channel": draft.channel,
        "to_address": draft.to_address,
        "subject": draft.subject,
        "body": draft.body,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    # A plain INSERT would abort the caller's whole transaction on a duplicate key.
    if db.get_bind().dialect.name == "mysql":
        upsert = mysql.insert(OutboxMessage).values(**values)
        statement: Any = upsert.on_duplicate_key_update(idem_key=upsert.inserted.idem_key)
    else:
        statement = (
            sqlite.insert(OutboxMessage).values(**values).on_conflict_do_nothing(["idem_key"])
        )
    await db.execute(statement)


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a worker whose lease ran out (it died)."""
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now),
    )


async def claim(
    db: AsyncSession,
    owner: str,
    now: datetime,
    lease_s: float,
    limit: int,
    channels: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` due messages (of `channels`, or any) for `owner`; count the attempt."""
    only = [OutboxMessage.channel.in_(channels)] if channels is not None else []
    ids = list(
        await db.scalars(
            select(OutboxMessage.id)
            .where(_due(now), *only)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    # Guarded again: without SKIP LOCKED another worker may have claimed some meanwhile.
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due(now))
        .values(
            status=OutboxStatus.SENDING,
            claim=owner,
            lease_until=now + timedelta(seconds=lease_s),
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = await db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claim == owner)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def due_count(db: AsyncSession, now: datetime, channels: Sequence[str]) -> int:
    """Count the messages of `channels` due now, without locking them."""
    found = await db.scalar(
        select(func.count(OutboxMessage.id)).where(_due(now), OutboxMessage.channel.in_(channels))
    )
    return int(found or 0)


async def renew(db: AsyncSession, owner: str, until: datetime) -> int:
    """Extend `owner`'s claims that are still sending; return how many it still holds."""
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim == owner, OutboxMessage.status == OutboxStatus.SENDING)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def record(db: AsyncSession, owner: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write the outcomes of `owner`'s claim; rows another worker took over are left alone."""
    if not outcomes:
        return
    statement = (
        TABLE.update()
        .where(TABLE.c.id == bindparam("b_id"), TABLE.c.claim == owner)
        .values(
            status=bindparam("b_status"),
            next_attempt_at=bindparam("b_next", type_=OutboxMessage.next_attempt_at.type),
            last_error=bindparam("b_error"),
            provider_id=bindparam("b_provider"),
            sent_at=bindparam("b_sent", type_=OutboxMessage.sent_at.type),
            claim=None,
            lease_until=None,
        )
    )
    params = [
        {
            "b_id": o.message_id,
            "b_status": o.status.value,
            "b_next": o.next_attempt_at,
            "b_error": o.error[:500],
            "b_provider": o.provider_id,
            "b_sent": now if o.status is OutboxStatus.SENT else None,
        }
        for o in outcomes
    ]
    connection = await db.connection()
    await connection.execute(statement, params)


async def listing(db: AsyncSession, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
    """Return the newest messages, optionally of one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(await db.scalars(query))


async def counts(db: AsyncSession) -> dict[str, int]:
    """Count messages by status."""
    rows = await db.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    )
    found = {status.value: 0 for status in OutboxStatus}
    found.update({status.value: n for status, n in rows.tuples()})
    return found


async def resend(db: AsyncSession, message_id: int, now: datetime) -> OutboxMessage:
    """Give a failed message a fresh set of attempts; 409 unless it failed."""
    message = await db.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise not_found("outbox_message", message_id)
    if message.status is not OutboxStatus.FAILED:
        raise Conflict(
            "NOT_FAILED",
            f"only failed messages can be resent; this one is {message.status.value}",
            {"status": message.status.value},
        )
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.last_error = ""
    return message
