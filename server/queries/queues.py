"""Read models of the queues: department snapshots and one ticket's view, from the plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import not_found
from server.events import iso
from server.models import Department, Room, Ticket
from server.queries.live import (
    LIVE,
    RECENT_DURATIONS,
    DoctorState,
    doctors_today,
    live_tickets,
    recent_durations,
)
from server.queries.priority import Rule, rules_of
from server.queue.state import TicketStatus
from server.scheduling.planning import CurrentPlan, Place, context_of, current_plan, pool_of

__all__ = [
    "LIVE",
    "RECENT_DURATIONS",
    "DoctorState",
    "department_snapshot",
    "doctors_today",
    "live_tickets",
    "recent_durations",
    "soonest_free_doctor",
    "ticket_snapshot",
    "ticket_view",
]


def ticket_view(
    ticket: Ticket,
    place: Place | None,
    rooms: dict[int, str],
    *,
    names: bool,
    now: datetime | None = None,
    rank: int | None = None,
    categories: Mapping[int, Rule] | None = None,
) -> dict[str, Any]:
    """Render one ticket; names (and a priority category's) only for staff, never for boards."""
    appointment = ticket.appointment
    category = appointment.priority_category_id
    waiting = place is not None and appointment.status is TicketStatus.WAITING
    view: dict[str, Any] = {
        "ticket_id": ticket.id,
        "token": ticket.token,
        "status": appointment.status.value,
        "urgency": appointment.urgency.value,
        "source": appointment.source.value,
        "doctor_id": ticket.doctor_id,
        "room": rooms.get(ticket.room_id) if ticket.room_id else None,
        # The plan's answer (docs/architecture.md, "ahead"): how many the planned doctor
        # calls before this patient, and in about how many minutes this one is called.
        "ahead": place.ahead if waiting and place else None,
        "position": place.ahead + 1 if waiting and place else None,
        "wait_min": place.wait_min if waiting and place else None,
        "eta": iso(now + timedelta(minutes=place.wait_min))
        if waiting and place and now is not None
        else None,
        "moved_reason": place.reason if waiting and place else None,
        "expected_doctor_id": place.doctor_id if place else ticket.doctor_id,
        "arrived_at": iso(ticket.arrived_at),
        "scheduled_at": iso(appointment.scheduled_at),
        "called_at": iso(appointment.called_at),
        "call_count": ticket.call_count,
        # 1 = the first to be called in the department by the current plan (None: not waiting).
        "plan_rank": rank if waiting else None,
        # A neutral marker: the category itself is health information, for staff only.
        "priority": category is not None,
    }
    if names:
        rule = (categories or {}).get(category) if category is not None else None
        view["priority_category"] = (
            {"id": rule.category_id, "name": rule.name} if rule is not None else None
        )
        view["patient"] = {
            "id": appointment.patient.id,
            "name": appointment.patient.full_name,
            "record_number": appointment.patient.record_number,
        }
        view["reason"] = appointment.reason
        view["appointment_id"] = appointment.id
    return view


def call_line(plan: CurrentPlan, doctor_id: int) -> list[int]:
    """Return the waiting tickets `doctor_id` may call, in the order "call next" offers them.

    Their own planned line first; then shared patients planned on a colleague, soonest first
    (a doctor with nobody of their own helps the others' lines).
    """
    own = list(plan.lines.get(doctor_id, ()))
    shared = [
        t.id
        for t in plan.tickets
        if t.id in plan.places
        and t.id not in own
        and t.doctor_id is None
        and t.appointment.status is TicketStatus.WAITING
    ]
    shared.sort(key=lambda t: (plan.places[t].wait_min, plan.places[t].ahead, t))
    return own + shared


async def department_snapshot(
    db: AsyncSession,
    department_id: int,
    day: date,
    now: datetime,
    *,
    names: bool,
    default_min: float | None = None,
) -> dict[str, Any]:
    """Return everything a screen needs to draw a department's queues, in the plan's order."""
    department = await db.get(Department, department_id)
    if department is None:
        raise not_found("department", department_id)
    plan = await current_plan(db, department_id, day, now, context_of(db, default_min))
    rooms = dict(
        (await db.execute(select(Room.id, Room.name).where(Room.department_id == department_id)))
        .tuples()
        .all()
    )
    rank = {ticket_id: k for k, ticket_id in enumerate(plan.order())}
    ordered = sorted(
        plan.tickets,
        key=lambda t: (
            t.appointment.status is TicketStatus.WAITING,
            rank.get(t.id, len(rank)),
            t.id,
        ),
    )
    pool = set(pool_of(plan.doctors))
    categories = await rules_of(db, plan.tickets) if names else {}
    return {
        "department": {
            "id": department.id,
            "code": department.code,
            "name": department.name,
            "prefix": department.token_prefix,
        },
        "day": day.isoformat(),
        "generated_at": now.isoformat(),
        "plan_version": plan.version,
        "doctors": [
            {
                "id": d.doctor.id,
                "name": d.doctor.name,
                "room": d.room,
                "per_patient_min": round(d.clock.per_patient_min, 1),
                "desk_open": d.desk_open,
                "late": d.late,
                "working": d.doctor.id in pool,
                "line": call_line(plan, d.doctor.id),
                "current": ticket_view(d.current, None, rooms, names=names, categories=categories)
                if d.current
                else None,
            }
            for d in plan.doctors
        ],
        "tickets": [
            ticket_view(
                t,
                plan.places.get(t.id),
                rooms,
                names=names,
                now=now,
                rank=rank[t.id] + 1 if t.id in rank else None,
                categories=categories,
            )
            for t in ordered
        ],
    }


async def ticket_snapshot(
    db: AsyncSession, ticket_id: int, now: datetime, default_min: float | None = None
) -> dict[str, Any]:
    """Return one ticket as its patient sees it: status, place, wait, room."""
    ticket = await db.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    snapshot = await department_snapshot(
        db, ticket.queue_department_id, ticket.day, now, names=False, default_min=default_min
    )
    mine = next((t for t in snapshot["tickets"] if t["ticket_id"] == ticket_id), None)
    if mine is None:
        rooms = dict((await db.execute(select(Room.id, Room.name))).tuples().all())
        mine = ticket_view(ticket, None, rooms, names=False)
    return {
        "ticket": mine,
        "department": snapshot["department"],
        "day": snapshot["day"],
        "generated_at": snapshot["generated_at"],
    }


async def soonest_free_doctor(
    db: AsyncSession, department_id: int, now: datetime, default_min: float | None = None
) -> int | None:
    """Return the working doctor who will be free first (None if nobody works)."""
    ctx = context_of(db, default_min)
    tickets = await live_tickets(db, department_id, now.date())
    doctors = await doctors_today(
        db, department_id, now.date(), tickets, now, ctx.default_min, ctx.grace_min
    )
    pool = set(pool_of(doctors))
    present = [d for d in doctors if d.doctor.id in pool and d.clock.can_start(d.clock.free_in_min)]
    if not present:
        return None
    return min(present, key=lambda d: (d.clock.free_in_min, d.doctor.id)).doctor.id
