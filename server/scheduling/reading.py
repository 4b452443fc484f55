"""Read a department's live queue from the database as the solver's plain input."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import DoctorSession, Ticket
from server.queries.queues import DoctorState, doctors_today, live_tickets
from server.queue.state import TicketStatus
from server.scheduling import versions
from server.solver.types import (
    DoctorAvailability,
    Plan,
    PlanEntry,
    QueueState,
    SolveStats,
    WaitingTicket,
)


@dataclass(frozen=True, slots=True)
class Reading:
    """The solver's input for one department-day, and the plan applied before."""

    state: QueueState
    previous: Plan | None
    midnight: datetime


def minutes(moment: datetime, midnight: datetime) -> int:
    """Return whole minutes since the day's midnight (the solver's time axis)."""
    return int((moment - midnight).total_seconds() // 60)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Store a plan as JSON: enough to warm-start and to tell who moved."""
    return {
        "state_version": plan.state_version,
        "source": plan.source,
        "objective": plan.stats.objective,
        "entries": [
            [e.ticket_id, e.doctor_id, e.position, e.start_min, e.end_min, e.eta_wait_min]
            for e in plan.entries
        ],
    }


def plan_from_json(data: dict[str, Any] | None) -> Plan | None:
    """Load a stored plan."""
    if not data:
        return None
    entries = tuple(PlanEntry(*row) for row in data["entries"])
    stats = SolveStats("feasible", float(data["objective"]), 0.0, None, 0.0)
    return Plan(int(data["state_version"]), data["source"], entries, stats)


async def read_queue(
    session: AsyncSession, department_id: int, day: date, now: datetime, default_min: float
) -> Reading | None:
    """Read the waiting tickets and working doctors; None when there is nothing to plan."""
    row = await versions.current(session, department_id, day)
    previous = plan_from_json(row.plan if row else None)
    tickets = await live_tickets(session, department_id, day)
    doctors = [
        d
        for d in await doctors_today(session, department_id, day, tickets, now, default_min)
        # A doctor who left early is out of the plan; their pinned tickets are open to all.
        if d.clock.can_start(0.0)
    ]
    waiting = [t for t in tickets if t.appointment.status is TicketStatus.WAITING]
    if not doctors or not waiting:
        return None
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    now_min = minutes(now, midnight)
    ends = await _session_ends(session, [d.doctor.id for d in doctors], day)
    state = QueueState(
        tickets=tuple(_waiting(t, doctors, previous, midnight) for t in waiting),
        doctors=tuple(
            DoctorAvailability(
                d.doctor.id,
                now_min + math.ceil(d.clock.free_in_min),
                minutes(ends[d.doctor.id], midnight),
            )
            for d in doctors
        ),
        now_min=now_min,
        state_version=row.version if row else 0,
    )
    return Reading(state, previous, midnight)


def _waiting(
    ticket: Ticket, doctors: list[DoctorState], previous: Plan | None, midnight: datetime
) -> WaitingTicket:
    appointment = ticket.appointment
    ids = tuple(d.doctor.id for d in doctors)
    pinned = ticket.doctor_id if ticket.doctor_id in ids else None
    durations = [d.clock.per_patient_min for d in doctors if pinned in (None, d.doctor.id)]
    before = previous.entry(ticket.id) if previous else None
    arrived = ticket.arrived_at or appointment.booked_at
    return WaitingTicket(
        ticket_id=ticket.id,
        urgency=appointment.urgency.value,
        arrived_at=minutes(arrived, midnight),
        eligible_doctor_ids=(pinned,) if pinned is not None else ids,
        expected_duration_min=max(1, round(sum(durations) / len(durations))),
        appointment_at=minutes(appointment.scheduled_at, midnight)
        if appointment.scheduled_at
        else None,
        previous_position=before.position if before else None,
        previous_doctor_id=before.doctor_id if before else None,
        pinned_doctor=pinned,
    )


async def _session_ends(
    session: AsyncSession, doctor_ids: list[int], day: date
) -> dict[int, datetime]:
    rows = await session.execute(
        select(
            DoctorSession.doctor_id,
            func.max(func.coalesce(DoctorSession.closed_early_at, DoctorSession.ends_at)),
        )
        .where(DoctorSession.doctor_id.in_(doctor_ids), DoctorSession.day == day)
        .group_by(DoctorSession.doctor_id)
    )
    # An early close is the session's end. func.max bypasses the column type: re-attach UTC
    # as the column type would.
    return {doctor: _aware(end) for doctor, end in rows.tuples()}


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
