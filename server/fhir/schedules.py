"""Schedule (a doctor's session) and Slot (a bookable time, with its overbooking)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from server.fhir.base import Resource, extension, instant, ref, resource
from server.fhir.search import Query, codes, date_filter, parse_id
from server.models import DoctorSession, Slot

SCHEDULE_SEARCH = ("_id", "actor", "date", "active")
SLOT_SEARCH = ("_id", "schedule", "status", "start")
SLOT_STATUSES = ("free", "busy", "busy-unavailable")


def schedule(session: DoctorSession) -> Resource:
    """Map one doctor session; a delay or an early close is an extension."""
    extras = []
    if session.delay_minutes:
        extras.append(extension("delay-minutes", valueInteger=session.delay_minutes))
    if session.closed_early_at is not None:
        extras.append(extension("closed-early-at", valueDateTime=instant(session.closed_early_at)))
    return resource(
        "Schedule",
        session.id,
        None,
        active=session.closed_early_at is None,
        actor=[
            ref("Practitioner", session.doctor_id),
            ref("Location", session.room_id),
        ],
        planningHorizon={"start": instant(session.starts_at), "end": instant(session.ends_at)},
        comment=f"{session.slot_minutes}-minute slots, {session.capacity_per_slot} per slot, "
        f"overbooking up to {session.overbook_cap}",
        extension=extras,
    )


def slot_status(slot: Slot, now: datetime) -> str:
    """Tell whether a slot can still be booked within capacity."""
    if slot.capacity == 0 or slot.starts_at < now:
        return "busy-unavailable"  # closed early, or already started: no booking takes it
    return "busy" if slot.booked >= slot.capacity else "free"


def _status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    unavailable = or_(Slot.capacity == 0, Slot.starts_at < now)
    if status == "busy-unavailable":
        return unavailable
    open_ = and_(Slot.capacity > 0, Slot.starts_at >= now)
    if status == "busy":
        return and_(open_, Slot.booked >= Slot.capacity)
    return and_(open_, Slot.booked < Slot.capacity)


def slot(row: Slot, now: datetime) -> Resource:
    """Map one slot; capacity, places taken and the overbooking cap are an extension."""
    return resource(
        "Slot",
        row.id,
        None,
        schedule=ref("Schedule", row.session_id),
        status=slot_status(row, now),
        start=instant(row.starts_at),
        end=instant(row.ends_at),
        overbooked=row.booked > row.capacity,
        extension=[
            extension(
                "overbooking",
                extension=[
                    {"url": "capacity", "valueInteger": row.capacity},
                    {"url": "booked", "valueInteger": row.booked},
                    {"url": "overbookCap", "valueInteger": row.overbook_cap},
                    {"url": "overbooked", "valueInteger": max(row.booked - row.capacity, 0)},
                ],
            )
        ],
    )


def search_schedules(query: Query) -> Select[Any]:
    """Select the sessions a Schedule search matches."""
    found: list[ColumnElement[bool]] = []
    ids = query.one("_id")
    if ids is not None:
        found.append(DoctorSession.id.in_([parse_id("_id", v) for v in ids]))
    actors = query.one("actor")
    if actors is not None:
        found.append(
            DoctorSession.doctor_id.in_([parse_id("actor", v, "Practitioner") for v in actors])
        )
    found += date_filter("date", query.values("date"), DoctorSession.starts_at)
    active = codes("active", query.one("active"), ("true", "false"))
    if active is not None:
        is_open = DoctorSession.closed_early_at.is_(None)
        found.append(is_open if active == ["true"] else DoctorSession.closed_early_at.is_not(None))
    return select(DoctorSession).where(*found).order_by(DoctorSession.starts_at, DoctorSession.id)


def search_slots(query: Query, now: datetime) -> Select[Any]:
    """Select the slots a Slot search matches."""
    found: list[ColumnElement[bool]] = []
    ids = query.one("_id")
    if ids is not None:
        found.append(Slot.id.in_([parse_id("_id", v) for v in ids]))
    schedules = query.one("schedule")
    if schedules is not None:
        found.append(Slot.session_id.in_([parse_id("schedule", v, "Schedule") for v in schedules]))
    statuses = codes("status", query.one("status"), SLOT_STATUSES)
    if statuses is not None:
        found.append(or_(*(_status_condition(s, now) for s in statuses)))
    found += date_filter("start", query.values("start"), Slot.starts_at)
    return select(Slot).where(*found).order_by(Slot.starts_at, Slot.id)
