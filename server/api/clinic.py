"""The clinic's shape and its free slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from quart import Blueprint, request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.fields import FIRST_DAY, LAST_DAY, MAX_ID
from server.api.views import department_out, doctor_out, slot_out
from server.auth.web import requires
from server.errors import APIError
from server.models import Department, Doctor, Slot
from server.services import clinic

bp = Blueprint("clinic", __name__, url_prefix="/api")


def int_arg(name: str) -> int | None:
    """Read an optional id query argument (1 to 2^63-1); 400 BAD_QUERY if it is not one."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # isascii: str.isdigit() also accepts digits like "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        raise APIError(
            400, "BAD_QUERY", f"{name} must be a whole number from 1 to {MAX_ID}", {"field": name}
        )
    return int(raw)


def date_arg(name: str, default: date) -> date:
    """Read an optional ISO date query argument within FIRST_DAY..LAST_DAY."""
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise APIError(
            400, "BAD_QUERY", f"{name} must be a date like 2026-05-01", {"field": name}
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise APIError(
            400, "BAD_QUERY", f"{name} must lie between {FIRST_DAY} and {LAST_DAY}", {"field": name}
        )
    return day


@bp.get("/departments")
@requires("clinic.read")
async def departments() -> dict[str, Any]:
    """List the departments (not the deactivated ones)."""
    query = select(Department).where(Department.active.is_(True)).order_by(Department.name)
    rows = await clinic().read(lambda s: s.scalars(query))
    return {"departments": [department_out(d) for d in rows]}


@bp.get("/doctors")
@requires("clinic.read")
async def doctors() -> dict[str, Any]:
    """List the doctors, optionally of one department."""
    department_id = int_arg("department_id")
    query = select(Doctor).where(Doctor.active.is_(True)).order_by(Doctor.name)
    if department_id is not None:
        query = query.where(Doctor.department_id == department_id)
    rows = await clinic().read(lambda s: s.scalars(query))
    return {"doctors": [doctor_out(d) for d in rows.unique()]}


@bp.get("/slots")
@requires("slots.read")
async def slots() -> dict[str, Any]:
    """List bookable slots by department or doctor and date; full ones say so."""
    services = clinic()
    now = services.clock()
    day = date_arg("date", now.date())
    department_id, doctor_id = int_arg("department_id"), int_arg("doctor_id")
    if department_id is None and doctor_id is None:
        raise APIError(400, "BAD_QUERY", "give department_id or doctor_id")

    async def work(db: AsyncSession) -> list[Slot]:
        query = (
            select(Slot)
            .join(Doctor, Slot.doctor_id == Doctor.id)
            .where(
                Doctor.active.is_(True),
                Slot.starts_at >= max(now, _midnight(day)),
                Slot.starts_at < _midnight(day + timedelta(days=1)),
            )
            .order_by(Slot.starts_at, Slot.doctor_id)
        )
        if doctor_id is not None:
            query = query.where(Slot.doctor_id == doctor_id)
        if department_id is not None:
            query = query.where(Doctor.department_id == department_id)
        return list(await db.scalars(query))

    rows = await services.read(work)
    only_free = request.args.get("free", "1") != "0"
    return {
        "date": day.isoformat(),
        "slots": [slot_out(s) for s in rows if not only_free or s.booked < s.capacity],
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
