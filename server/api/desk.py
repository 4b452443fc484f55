"""The desk's day: today's expected arrivals, returning patients, vitals taken, sessions."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from server.api.clinic import date_arg
from server.auth.web import requires
from server.queries.desk import desk_day
from server.services import clinic

bp = Blueprint("desk", __name__, url_prefix="/api")


@bp.get("/departments/<int:department_id>/day")
@requires("queue.read")
async def department_day(department_id: int) -> dict[str, Any]:
    """List a department-day's expected arrivals by time, returning patients and sessions."""
    services = clinic()
    day = date_arg("date", services.clock().date())
    return await services.read(lambda s: desk_day(s, department_id, day))
