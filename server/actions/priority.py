"""Priority categories: admins define them, staff give one to a patient at check-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import audit
from server.auth.actor import Actor
from server.errors import Conflict, Invalid, not_found
from server.models import Appointment, PriorityCategory

# Sentinel: an update that leaves a field as it is (None is a value: "no maximum wait").
KEEP: Any = object()


def _fields(row: PriorityCategory) -> dict[str, Any]:
    return {
        "name": row.name,
        "weight": row.weight,
        "max_wait_min": row.max_wait_min,
        "active": row.active,
    }


async def _refuse_taken_name(db: AsyncSession, name: str, but: int | None = None) -> None:
    query = select(func.count(PriorityCategory.id)).where(
        func.lower(PriorityCategory.name) == name.lower()
    )
    if but is not None:
        query = query.where(PriorityCategory.id != but)
    if await db.scalar(query):
        raise Conflict(
            "PRIORITY_CATEGORY_EXISTS", "a priority category has that name", {"name": name}
        )


async def load_category(db: AsyncSession, category_id: int) -> PriorityCategory:
    """Load a category or raise PRIORITY_CATEGORY_NOT_FOUND."""
    row = await db.get(PriorityCategory, category_id)
    if row is None:
        raise not_found("priority_category", category_id)
    return row


async def create_category(
    db: AsyncSession,
    actor: Actor,
    *,
    name: str,
    weight: int,
    max_wait_min: int | None,
    now: datetime,
) -> PriorityCategory:
    """Add a priority category; names are unique (whatever their case)."""
    await _refuse_taken_name(db, name)
    row = PriorityCategory(
        name=name,
        weight=weight,
        max_wait_min=max_wait_min,
        active=True,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    await db.flush()
    audit(
        db,
        actor,
        "priority.create",
        None,
        details={"priority_category_id": row.id, **_fields(row)},
        now=now,
    )
    return row


async def update_category(
    db: AsyncSession,
    actor: Actor,
    *,
    category_id: int,
    now: datetime,
    name: str = KEEP,
    weight: int = KEEP,
    max_wait_min: int | None = KEEP,
    active: bool = KEEP,
) -> PriorityCategory:
    """Edit or (de)activate a category; patients who hold it keep it, history stays."""
    row = await load_category(db, category_id)
    before = _fields(row)
    if name is not KEEP and name.lower() != row.name.lower():
        await _refuse_taken_name(db, name, but=row.id)
    for field, value in (
        ("name", name),
        ("weight", weight),
        ("max_wait_min", max_wait_min),
        ("active", active),
    ):
        if value is not KEEP:
            setattr(row, field, value)
    row.updated_at = now
    after = _fields(row)
    audit(
        db,
        actor,
        "priority.update",
        None,
        details={
            "priority_category_id": row.id,
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
        now=now,
    )
    await db.flush()
    return row


async def give_category(
    db: AsyncSession, appointment: Appointment, category_id: int | None
) -> None:
    """Give a patient checking in a category (an active one); None leaves them without."""
    if category_id is None:
        return
    row = await load_category(db, category_id)
    if not row.active:
        raise Invalid(
            "PRIORITY_CATEGORY_INACTIVE",
            f"the category {row.name!r} is no longer in use",
            {"priority_category_id": category_id},
        )
    appointment.priority_category_id = row.id
