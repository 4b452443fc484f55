"""The admin's performance dashboard: one day's figures per department and per doctor."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import document_querystring, document_response

from server.api.clinic import date_arg, int_arg
from server.auth.web import requires
from server.errors import APIError
from server.queries.dashboard import NoShows, Spread, load_dashboard
from server.state import clinic

bp = Blueprint("dashboard", __name__, url_prefix="/api/admin")

# Outside these years a day is a typo, and MariaDB's DATE would not hold it anyway.
FIRST_YEAR, LAST_YEAR = 2000, 2999


class DashboardQuery(BaseModel):
    """The query string of the dashboard (documentation: the route reads it itself)."""

    day: date | None = Field(None, description="YYYY-MM-DD; default today in the clinic's clock")
    department_id: int | None = Field(None, description="only this department; default all")


class MetricsOut(BaseModel):
    tickets: int
    by_status: dict[str, int] = Field(
        description="booked, waiting, called, in_consultation, completed, no_show, skipped, "
        "cancelled, and transferred (tickets transferred at some point of the day)"
    )
    walk_ins: int
    online: int
    emergencies: int
    overbooked: int = Field(description="overbooked appointments, cancelled ones left out")
    wait_min: Spread = Field(description="minutes from arrival (check-in) to call")
    consultation_min: Spread = Field(description="minutes from start to completion")
    no_shows: NoShows = Field(
        description="bookings whose slot is over: the share that never came (rate) beside "
        "the mean predicted no-show probability of the same bookings (predicted)"
    )
    seen_per_hour: list[int] = Field(description="completed per hour of the clinic's day, 0-23")


class DepartmentRowOut(MetricsOut):
    id: int
    name: str


class DoctorRowOut(MetricsOut):
    id: int | None = Field(description="null: tickets of the shared queue no doctor called yet")
    name: str
    department_id: int
    department: str


class DashboardOut(BaseModel):
    day: date
    generated_at: datetime
    totals: MetricsOut
    departments: list[DepartmentRowOut]
    doctors: list[DoctorRowOut]


def _day(today: date) -> date:
    day = date_arg("day", today)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise APIError(
            400, "BAD_QUERY", f"day must lie between {FIRST_YEAR} and {LAST_YEAR}", {"field": "day"}
        )
    return day


def _department_id() -> int | None:
    return int_arg("department_id")


@bp.get("/dashboard")
@requires("dashboard.read")
@document_querystring(DashboardQuery)
@document_response(DashboardOut)
async def dashboard() -> dict[str, Any]:
    """Show a day's tickets, waits, consultations and no-shows per department and doctor."""
    state = clinic()
    now = state.clock()
    day, department_id = _day(now.date()), _department_id()
    zone = ZoneInfo(state.settings.timezone)
    return await state.read(lambda s: load_dashboard(s, day, department_id, now, zone))
