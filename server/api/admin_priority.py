"""Priority categories: admins define them; the desk lists the ones it may choose."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request
from sqlalchemy import select

from server.actions import priority
from server.api.priority_schemas import CategoryIn, CategoryPatch
from server.auth.web import actor, requires
from server.models import PriorityCategory
from server.services import clinic

bp = Blueprint("priority", __name__, url_prefix="/api")


def category_out(row: PriorityCategory) -> dict[str, Any]:
    """Render a category for staff screens (never for boards or phones)."""
    return {
        "id": row.id,
        "name": row.name,
        "weight": row.weight,
        "max_wait_min": row.max_wait_min,
        "active": row.active,
    }


async def _list(active_only: bool) -> dict[str, Any]:
    query = select(PriorityCategory).order_by(PriorityCategory.name)
    if active_only:
        query = query.where(PriorityCategory.active.is_(True))
    rows = await clinic().read(lambda s: s.scalars(query))
    return {"categories": [category_out(row) for row in rows]}


@bp.get("/admin/priority-categories")
@requires("admin.manage")
async def list_all() -> dict[str, Any]:
    """List every priority category, deactivated ones included."""
    return await _list(active_only=False)


@bp.get("/priority-categories")
@requires("ticket.check_in")
async def list_active() -> dict[str, Any]:
    """List the categories the desk may choose at check-in."""
    return await _list(active_only=True)


@bp.post("/admin/priority-categories")
@requires("admin.manage")
@validate_request(CategoryIn)
async def create(data: CategoryIn) -> tuple[dict[str, Any], int]:
    """Add a priority category with its weight and maximum wait."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: priority.create_category(
            s,
            who,
            name=data.name,
            weight=data.weight,
            max_wait_min=data.max_wait_min,
            now=services.clock(),
        )
    )
    return category_out(row), 201


@bp.patch("/admin/priority-categories/<int:category_id>")
@requires("admin.manage")
@validate_request(CategoryPatch)
async def update(category_id: int, data: CategoryPatch) -> dict[str, Any]:
    """Edit a category, or (de)activate it; patients who hold it keep it."""
    services, who = clinic(), actor()
    given = data.model_dump(exclude_unset=True)
    row = await services.run(
        lambda s: priority.update_category(
            s, who, category_id=category_id, now=services.clock(), **given
        )
    )
    return category_out(row)
