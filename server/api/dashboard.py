"""The admin's performance dashboard: one day's figures per department and per doctor."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import document_querystring, document_response

from server.api.clinic import date_arg, int_arg
from server.auth.web import requires
from server.errors import APIError
from server.queries.dashboard import NoShows, Spread, days_between, load_dashboard, to_csv
from server.services import clinic

bp = Blueprint("dashboard", __name__, url_prefix="/api/admin")

# Outside these years a day is a typo, and MariaDB's DATE would not hold it anyway.
FIRST_YEAR, LAST_YEAR = 2000, 2999
# A range reads every visit in it: a quarter is plenty for a manager and bounds the work.
MAX_DAYS = 92


class DashboardQuery(BaseModel):
    """The query string of the dashboard (documentation: the route reads it itself)."""

    day: date | None = Field(None, description="YYYY-MM-DD; default today in the clinic's clock")
    from_: date | None = Field(
        None, alias="from", description="first day of a range (instead of day); default day"
    )
    to: date | None = Field(None, description=f"last day of a range, at most {MAX_DAYS} days")
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
    capacity: dict[str, float | int | None] = Field(
        description="doctors' sessions so far: doctor_days, session_min, consulted_min, "
        "idle_min, utilisation (consulted / session minutes), overtime_mean_min and "
        "overtime_p90_min per doctor-day (see docs/simulation.md)"
    )


class DepartmentRowOut(MetricsOut):
    id: int
    name: str


class DoctorRowOut(MetricsOut):
    id: int | None = Field(description="null: tickets of the shared queue no doctor called yet")
    name: str
    department_id: int
    department: str


class CategoryRowOut(MetricsOut):
    id: int | None = Field(description="null: the patients without a priority category")
    name: str
    max_wait_min: int | None
    over_max_wait: int = Field(description="waited beyond the maximum (called late, or still)")
    waiting: int


class DashboardOut(BaseModel):
    day: date
    from_: date = Field(alias="from")
    to: date
    generated_at: datetime
    totals: MetricsOut
    departments: list[DepartmentRowOut]
    doctors: list[DoctorRowOut]
    categories: list[CategoryRowOut] = Field(
        description="waits per priority category, then without one (empty: no categories)"
    )


def _day(today: date, name: str = "day") -> date:
    day = date_arg(name, today)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise APIError(
            400,
            "BAD_QUERY",
            f"{name} must lie between {FIRST_YEAR} and {LAST_YEAR}",
            {"field": name},
        )
    return day


def _range(today: date) -> tuple[date, date]:
    """Read day, or from and to; 400 BAD_QUERY for a reversed or too long range."""
    first = _day(_day(today), "from")
    last = _day(first, "to")
    if last < first:
        raise APIError(400, "BAD_QUERY", "to must not be before from", {"field": "to"})
    if days_between(first, last) > MAX_DAYS:
        raise APIError(400, "BAD_QUERY", f"a range holds at most {MAX_DAYS} days", {"field": "to"})
    return first, last


def _department_id() -> int | None:
    return int_arg("department_id")


@bp.get("/dashboard")
@requires("dashboard.read")
@document_querystring(DashboardQuery)
@document_response(DashboardOut)
async def dashboard() -> dict[str, Any]:
    """Show a day's (or a range's) tickets, waits, use of sessions and no-shows."""
    return await _load()


async def _load() -> dict[str, Any]:
    services = clinic()
    now = services.clock()
    (first, last), department_id = _range(now.date()), _department_id()
    zone = ZoneInfo(services.settings.timezone)
    return await services.read(lambda s: load_dashboard(s, first, department_id, now, zone, last))


@bp.get("/dashboard.csv")
@requires("dashboard.read")
@document_querystring(DashboardQuery)
async def dashboard_csv() -> Response:
    """Download the dashboard as CSV: totals, then one row per department and per doctor."""
    board = await _load()
    name = f"dashboard-{board['from']}-{board['to']}.csv"
    return Response(
        to_csv(board),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
