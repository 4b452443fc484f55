"""The department-day's current plan: the one order, doctor and call time every screen shows.

Every queue change re-plans in its own transaction (the greedy plan, kept stable: nobody
moves back unless an emergency, a returning or an urgent patient is placed ahead, or their
doctor is away), so the commit's single broadcast already carries the settled plan. The
worker's CP-SAT plan replaces it only when it saves a meaningful margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.events import EventKind, QueueEvent
from server.models import QueuePlan, Ticket
from server.queries.live import DoctorState, doctors_today, live_tickets
from server.queries.priority import Rule, rules_of
from server.queue.state import TicketStatus
from server.scheduling import versions
from server.scheduling.settings import SolverSettings
from server.solver import greedy_plan
from server.solver.policy import SolverPolicy
from server.solver.types import (
    DoctorAvailability,
    Plan,
    PlanEntry,
    QueueState,
    SolveStats,
    WaitingTicket,
)

# Why a patient's "ahead" rose, most telling first (the phone page words each code).
EMERGENCY_AHEAD = "emergency_ahead"
RETURNING_AHEAD = "returning_ahead"
URGENT_AHEAD = "urgent_ahead"
PRIORITY_AHEAD = "priority_ahead"  # a patient of a priority category (never named)
DOCTOR_AWAY = "doctor_away"
REPLANNED = "replanned"  # none of the above: a bug the replay test looks for
REASONS = (EMERGENCY_AHEAD, RETURNING_AHEAD, URGENT_AHEAD, PRIORITY_AHEAD, DOCTOR_AWAY, REPLANNED)


@dataclass(frozen=True, slots=True)
class PlanningContext:
    """What planning needs from the settings."""

    default_min: float = 10.0
    policy: SolverPolicy = field(default_factory=SolverPolicy)
    grace_min: float = 10.0


@cache
def _env_policy() -> SolverPolicy:
    return SolverSettings().policy()


def context_of(db: AsyncSession, default_min: float | None = None) -> PlanningContext:
    """Return the planning settings of the process that opened `db`."""
    services = db.info.get("services")
    if services is not None:
        settings = services.settings
        return PlanningContext(
            float(default_min if default_min is not None else settings.default_consultation_min),
            services.solver_settings.policy(),
            float(settings.desk_grace_min),
        )
    return PlanningContext(
        float(default_min if default_min is not None else 10.0), _env_policy(), 10.0
    )


@dataclass(frozen=True, slots=True)
class Place:
    """A waiting ticket's place: its doctor, how many that doctor calls first, and when."""

    ticket_id: int
    doctor_id: int
    ahead: int
    wait_min: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CurrentPlan:
    """The plan every screen shows, re-timed to now."""

    version: int
    source: str
    places: dict[int, Place]
    # Each doctor's planned line, in call order.
    lines: dict[int, tuple[int, ...]]
    doctors: list[DoctorState]
    tickets: list[Ticket]

    def order(self) -> list[int]:
        """Return the waiting tickets by expected call time (then doctor, then place)."""
        return sorted(
            self.places,
            key=lambda t: (
                self.places[t].wait_min,
                self.places[t].ahead,
                self.places[t].doctor_id,
            ),
        )


def minutes(moment: datetime, midnight: datetime) -> int:
    """Return whole minutes since the day's midnight (the solver's time axis)."""
    return int((moment - midnight).total_seconds() // 60)


def midnight_of(day: date) -> datetime:
    """Return the day's midnight, UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def ranks(plan: Plan) -> dict[int, int]:
    """Rank every planned ticket by planned start: the order calls should follow."""
    ordered = sorted(plan.entries, key=lambda e: (e.start_min, e.position, e.doctor_id))
    return {entry.ticket_id: rank for rank, entry in enumerate(ordered, start=1)}


def returning(ticket: Ticket) -> bool:
    """Tell whether a waiting patient came back after a call, a skip or a no-show."""
    appointment = ticket.appointment
    return (
        ticket.call_count > 0
        or appointment.no_show_at is not None
        or appointment.skipped_at is not None
    )


def pool_of(doctors: Sequence[DoctorState]) -> tuple[int, ...]:
    """Return the doctors an "any doctor" patient may be planned on: those working."""
    working = tuple(d.doctor.id for d in doctors if not d.away)
    # Nobody working yet (no desk opened): plan on everyone who is not gone.
    return working or tuple(d.doctor.id for d in doctors if d.clock.can_start(0.0))


def queue_state(
    waiting: Sequence[Ticket],
    doctors: Sequence[DoctorState],
    previous: Plan | None,
    version: int,
    now: datetime,
    day: date,
    rules: Mapping[int, Rule] | None = None,
) -> QueueState:
    """Describe the waiting line for the solver, with each ticket's previous place.

    `rules` are the priority categories the tickets hold, by id (their weight and maximum
    wait go to the solver as plain data).
    """
    rules = rules or {}
    midnight = midnight_of(day)
    now_min = minutes(now, midnight)
    present = [d for d in doctors if d.clock.can_start(0.0)]
    pool = set(pool_of(doctors))
    ids = {d.doctor.id for d in present}
    tickets = []
    for ticket in waiting:
        appointment = ticket.appointment
        pinned = ticket.doctor_id if ticket.doctor_id in ids else None
        eligible = (pinned,) if pinned is not None else tuple(sorted(pool & ids))
        durations = [d.clock.per_patient_min for d in present if d.doctor.id in eligible]
        before = previous.entry(ticket.id) if previous else None
        back = returning(ticket)
        # A returning patient keeps their first arrival (a requeue stamps a new one).
        arrived = (ticket.created_at if back else ticket.arrived_at) or appointment.booked_at
        category = appointment.priority_category_id
        rule = rules.get(category) if category is not None else None
        tickets.append(
            WaitingTicket(
                ticket_id=ticket.id,
                urgency=appointment.urgency.value,
                arrived_at=minutes(arrived, midnight),
                eligible_doctor_ids=eligible,
                expected_duration_min=max(1, round(sum(durations) / max(len(durations), 1)))
                if durations
                else 1,
                # A late check-in is fitted in from its arrival, like a walk-in.
                appointment_at=minutes(appointment.scheduled_at, midnight)
                if appointment.scheduled_at and appointment.late_min is None
                else None,
                previous_position=before.position if before else None,
                previous_doctor_id=before.doctor_id if before else None,
                pinned_doctor=pinned,
                jumps=back or appointment.urgency.value == "urgent",
                priority_weight=rule.weight if rule else 1,
                max_wait_min=rule.max_wait_min if rule else None,
            )
        )
    return QueueState(
        tickets=tuple(tickets),
        doctors=tuple(
            DoctorAvailability(
                d.doctor.id,
                now_min + math.ceil(d.clock.free_in_min),
                minutes(d.ends_at, midnight),
            )
            for d in present
        ),
        now_min=now_min,
        state_version=version,
    )


def plan_to_json(
    plan: Plan, reasons: dict[int, str] | None = None, pool: Sequence[int] = ()
) -> dict[str, Any]:
    """Store a plan as JSON: enough to warm-start, to tell who moved and why."""
    return {
        "state_version": plan.state_version,
        "source": plan.source,
        "objective": plan.stats.objective,
        "entries": [
            [e.ticket_id, e.doctor_id, e.position, e.start_min, e.end_min, e.eta_wait_min]
            for e in plan.entries
        ],
        "unplaced": list(plan.unplaced),
        "reasons": {str(k): v for k, v in (reasons or {}).items()},
        "pool": sorted(pool),
    }


def plan_from_json(data: dict[str, Any] | None) -> Plan | None:
    """Load a stored plan."""
    if not data:
        return None
    entries = tuple(PlanEntry(*row) for row in data["entries"])
    stats = SolveStats("feasible", float(data["objective"]), 0.0, None, 0.0)
    unplaced = tuple(int(t) for t in data.get("unplaced", ()))
    return Plan(int(data["state_version"]), data["source"], entries, stats, unplaced)


def reasons_from_json(data: dict[str, Any] | None) -> dict[int, str]:
    """Load the reasons stored with a plan."""
    return {int(k): str(v) for k, v in ((data or {}).get("reasons") or {}).items()}


def _is_current(
    data: dict[str, Any] | None, plan: Plan | None, version: int, waiting: set[int], pool: set[int]
) -> bool:
    if data is None or plan is None or plan.state_version != version:
        return False
    planned = {e.ticket_id for e in plan.entries} | set(plan.unplaced)
    return planned == waiting and set(data.get("pool", ())) == pool


def explain(
    old: Plan | None,
    new: Plan,
    tickets: dict[int, Ticket],
    doctors: Sequence[DoctorState],
) -> dict[int, str]:
    """Return, for each ticket with more ahead of it than before, why."""
    if old is None:
        return {}
    still = {e.ticket_id for e in new.entries}
    away = {d.doctor.id for d in doctors if d.away or not d.clock.can_start(0.0)}
    before: dict[int, set[int]] = {}
    lines: dict[int, list[PlanEntry]] = {}
    for e in old.entries:
        lines.setdefault(e.doctor_id, []).append(e)
    for line in lines.values():
        line.sort(key=lambda e: e.position)
        ahead: set[int] = set()
        for e in line:
            before[e.ticket_id] = set(ahead)
            if e.ticket_id in still:
                ahead.add(e.ticket_id)
    old_doctor = {e.ticket_id: e.doctor_id for e in old.entries}
    new_lines: dict[int, list[PlanEntry]] = {}
    for e in new.entries:
        new_lines.setdefault(e.doctor_id, []).append(e)
    reasons: dict[int, str] = {}
    for line in new_lines.values():
        line.sort(key=lambda e: e.position)
        for k, e in enumerate(line):
            was = before.get(e.ticket_id)
            if was is None or k <= len(was):
                continue
            newly = [tickets[o.ticket_id] for o in line[:k] if o.ticket_id not in was]
            reasons[e.ticket_id] = _reason(newly, old_doctor[e.ticket_id], e.doctor_id, away)
    return reasons


def _reason(newly: list[Ticket], old_doctor: int, new_doctor: int, away: set[int]) -> str:
    urgencies = {t.appointment.urgency.value for t in newly}
    if "emergency" in urgencies:
        return EMERGENCY_AHEAD
    if any(returning(t) for t in newly):
        return RETURNING_AHEAD
    if "urgent" in urgencies:
        return URGENT_AHEAD
    if any(t.appointment.priority_category_id is not None for t in newly):
        return PRIORITY_AHEAD
    if old_doctor != new_doctor and old_doctor in away:
        return DOCTOR_AWAY
    return REPLANNED


def retime(
    plan: Plan, doctors: Sequence[DoctorState], reasons: dict[int, str]
) -> tuple[dict[int, Place], dict[int, tuple[int, ...]]]:
    """Give each planned ticket its place and wait from the doctors' clocks now."""
    clocks = {d.doctor.id: d.clock for d in doctors}
    lines: dict[int, list[PlanEntry]] = {}
    for e in plan.entries:
        if e.doctor_id in clocks:
            lines.setdefault(e.doctor_id, []).append(e)
    places: dict[int, Place] = {}
    ordered: dict[int, tuple[int, ...]] = {}
    for doctor_id, line in lines.items():
        line.sort(key=lambda e: e.position)
        clock = clocks[doctor_id]
        at = clock.free_in_min
        for ahead, e in enumerate(line):
            places[e.ticket_id] = Place(
                e.ticket_id, doctor_id, ahead, round(at, 1), reasons.get(e.ticket_id)
            )
            at += clock.per_patient_min
        ordered[doctor_id] = tuple(e.ticket_id for e in line)
    return places, ordered


async def current_plan(
    db: AsyncSession,
    department_id: int,
    day: date,
    now: datetime,
    ctx: PlanningContext,
    *,
    store: bool = False,
) -> CurrentPlan:
    """Return the department-day's current plan; re-plan (and store) if it is out of date."""
    row = await versions.current(db, department_id, day, fresh=True)
    data = row.plan if row is not None else None
    stored = plan_from_json(data)
    version = row.version if row is not None else 0
    tickets = await live_tickets(db, department_id, day)
    doctors = await doctors_today(
        db, department_id, day, tickets, now, ctx.default_min, ctx.grace_min
    )
    waiting = [t for t in tickets if t.appointment.status is TicketStatus.WAITING]
    pool = pool_of(doctors)
    if stored is not None and _is_current(
        data, stored, version, {t.id for t in waiting}, set(pool)
    ):
        plan, reasons = stored, reasons_from_json(data)
    else:
        shown = stored
        if store:
            # Plan against what the screens showed before this transaction, not against a
            # plan an earlier event of the same transaction made (nobody saw that one), so a
            # reason is never lost between two events (notifications compare it too).
            before = db.info.setdefault("shown_plans", {})
            shown = plan_from_json(before.setdefault((department_id, day), data))
        rules = await rules_of(db, waiting)
        state = queue_state(waiting, doctors, shown, version, now, day, rules)
        plan = greedy_plan(state, ctx.policy)
        reasons = explain(shown, plan, {t.id: t for t in tickets}, doctors)
        if store:
            if row is None:
                row = QueuePlan(department_id=department_id, day=day, version=0, updated_at=now)
                db.add(row)
            row.plan, row.plan_version, row.updated_at = (
                plan_to_json(plan, reasons, pool),
                version,
                now,
            )
            # tickets.plan_rank is left to the worker's apply: writing every waiting ticket
            # here would lock rows other actions of the department hold (a deadlock on
            # MariaDB); screens take the rank from the plan itself.
    places, lines = retime(plan, doctors, reasons)
    return CurrentPlan(version, plan.source, places, lines, doctors, tickets)


async def replan(db: AsyncSession, department_id: int, day: date, now: datetime) -> None:
    """Re-plan a department-day inside the transaction that changed it."""
    await current_plan(db, department_id, day, now, context_of(db), store=True)


async def on_event(db: AsyncSession, event: QueueEvent) -> None:
    """In-transaction listener (after the version bump): the changed queues get their plan."""
    delayed = event.kind is EventKind.SESSION_DELAYED
    if event.kind in versions.UNCHANGED_LINE and not delayed:
        return
    day = date.fromisoformat(event.day)
    now = datetime.fromisoformat(event.at) if event.at else datetime.now(UTC)
    if now.date() != day:
        return  # another day's line: nobody waits in it yet
    if delayed:
        # A late doctor moves every wait of the line: re-plan once per transaction (the action
        # bumped the version once, before its events), so the broadcast carries the new times
        # and the notifications can tell who moved a lot.
        done: set[tuple[int, date]] = db.info.setdefault("delay_replanned", set())
        if (event.department_id, day) in done:
            return
        done.add((event.department_id, day))
    await replan(db, event.department_id, day, now)
    previous = event.previous_department_id
    if previous is not None and previous != event.department_id:
        await replan(db, previous, day, now)
