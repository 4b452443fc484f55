"""Priority categories as the planners and screens read them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import PriorityCategory, Ticket


@dataclass(frozen=True, slots=True)
class Rule:
    """What a category changes in the plans: the weight of a minute and the maximum wait."""

    category_id: int
    name: str
    weight: int
    max_wait_min: int | None


def rule_of(row: PriorityCategory) -> Rule:
    """Describe a category row as the planners' plain data."""
    return Rule(row.id, row.name, row.weight, row.max_wait_min)


async def rules_of(db: AsyncSession, tickets: Iterable[Ticket]) -> dict[int, Rule]:
    """Return the categories the tickets hold, by id; no query when none holds one."""
    ids = {t.appointment.priority_category_id for t in tickets} - {None}
    if not ids:
        return {}
    rows = await db.scalars(select(PriorityCategory).where(PriorityCategory.id.in_(ids)))
    return {row.id: rule_of(row) for row in rows}


async def all_categories(db: AsyncSession, *, active_only: bool = False) -> list[Rule]:
    """Return every category (or the active ones), by name."""
    query = select(PriorityCategory).order_by(PriorityCategory.name)
    if active_only:
        query = query.where(PriorityCategory.active.is_(True))
    return [rule_of(row) for row in await db.scalars(query)]
