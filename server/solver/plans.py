"""Plans: build them from queue orders, cost them, compare them, check they are current."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from server.solver.policy import SolverPolicy
from server.solver.sequencing import Prepared, excuses, lateness_due
from server.solver.types import Plan, PlanEntry, PlanSource, SolveStats, WaitingTicket


@dataclass(frozen=True, slots=True)
class PlanMove:
    """How one ticket's place changed between two plans (positions are per doctor)."""

    ticket_id: int
    old_doctor_id: int | None
    new_doctor_id: int | None
    old_position: int | None
    new_position: int | None
    places_back: int
    old_start_min: int | None
    new_start_min: int | None


def build_plan(
    prep: Prepared,
    orders: Mapping[int, Sequence[WaitingTicket]],
    source: PlanSource,
    stats: SolveStats,
) -> Plan:
    """Turn per-doctor orders of non-emergency tickets into a plan, emergencies first."""
    entries: list[PlanEntry] = []
    now = prep.state.now_min
    for doctor_id in sorted(prep.doctors):
        start = max(prep.doctors[doctor_id].free_at, now)
        queue = [*prep.emergencies[doctor_id], *orders.get(doctor_id, ())]
        for position, t in enumerate(queue):
            end = start + t.expected_duration_min
            entries.append(PlanEntry(t.ticket_id, doctor_id, position, start, end, start - now))
            start = end
    entries.sort(key=lambda e: (e.start_min, e.doctor_id, e.position))
    return Plan(prep.state.state_version, source, tuple(entries), stats, prep.unplaced)


def plan_cost(prep: Prepared, plan: Plan, policy: SolverPolicy) -> int:
    """Return the re-sequencing objective of any plan, so greedy and CP-SAT compare fairly."""
    tickets = {t.ticket_id: t for t in prep.state.tickets}
    cost = 0
    for e in plan.entries:
        t = tickets[e.ticket_id]
        weight = policy.weight(t.urgency) * t.priority_weight
        cost += weight * max(0, e.start_min - lateness_due(t, policy))
        cost += policy.overtime_penalty * max(
            0, e.start_min - prep.doctors[e.doctor_id].session_end
        )
        deadline = t.wait_deadline
        if deadline is not None:
            cost += policy.overdue_penalty * max(0, e.start_min - deadline)
        if t.urgency != "emergency":
            jumped = jumpers_ahead(prep, plan, e, tickets)
            cost += policy.disruption_penalty * prep.moved_back(t, e.doctor_id, e.position, jumped)
    return cost


def jumpers_ahead(
    prep: Prepared,
    plan: Plan,
    entry: PlanEntry,
    tickets: Mapping[int, WaitingTicket] | None = None,
) -> int:
    """Return how many tickets the plan puts ahead of `entry` that excuse a lost place.

    Jumpers (returning, urgent newcomers) always do; priority patients do unless they were
    ahead of it already.
    """
    if not prep.jumpers and not prep.priority:
        return 0
    if not prep.priority:
        return sum(
            1
            for e in plan.entries
            if e.doctor_id == entry.doctor_id
            and e.position < entry.position
            and e.ticket_id in prep.jumpers
        )
    found = tickets if tickets is not None else {t.ticket_id: t for t in prep.state.tickets}
    me = found[entry.ticket_id]
    return sum(
        1
        for e in plan.entries
        if e.doctor_id == entry.doctor_id
        and e.position < entry.position
        and excuses(prep, found[e.ticket_id], me)
    )


def improves(current: Plan, candidate: Plan, policy: SolverPolicy) -> bool:
    """Tell whether `candidate` costs meaningfully less than `current` (the policy's margin)."""
    saving = current.stats.objective - candidate.stats.objective
    margin = max(policy.min_improvement, policy.min_improvement_ratio * current.stats.objective)
    return saving > 0 and saving >= margin


def choose_plan(current: Plan | None, candidate: Plan) -> Plan:
    """Return the candidate unless the current plan is for a newer state or costs less."""
    if current is None or candidate.state_version > current.state_version:
        return candidate
    if candidate.state_version < current.state_version:
        return current
    return candidate if candidate.stats.objective < current.stats.objective else current


def apply_plan_if_current(plan: Plan, current_version: int) -> bool:
    """Return whether a plan may be applied: only if computed from the current state."""
    # A plan from an older state would undo changes made since (a call, a new emergency);
    # the caller re-runs the solve on the newer state instead.
    return plan.state_version == current_version


def diff_plans(old: Plan | None, new: Plan) -> tuple[PlanMove, ...]:
    """Return the tickets whose doctor, position or start changed, in the new plan's order."""
    before = {e.ticket_id: e for e in old.entries} if old else {}
    moves: list[PlanMove] = []
    for e in new.entries:
        o = before.get(e.ticket_id)
        if o is not None and (o.doctor_id, o.position, o.start_min) == (
            e.doctor_id,
            e.position,
            e.start_min,
        ):
            continue
        back = max(0, e.position - o.position) if o is not None else 0
        moves.append(
            PlanMove(
                ticket_id=e.ticket_id,
                old_doctor_id=o.doctor_id if o else None,
                new_doctor_id=e.doctor_id,
                old_position=o.position if o else None,
                new_position=e.position,
                places_back=back,
                old_start_min=o.start_min if o else None,
                new_start_min=e.start_min,
            )
        )
    return tuple(moves)


def with_previous(tickets: Sequence[WaitingTicket], plan: Plan | None) -> list[WaitingTicket]:
    """Return the tickets with previous doctor and position filled from a plan."""
    if plan is None:
        return list(tickets)
    placed = {e.ticket_id: e for e in plan.entries}
    out: list[WaitingTicket] = []
    for t in tickets:
        e = placed.get(t.ticket_id)
        if e is None:
            out.append(t)
        else:
            out.append(replace(t, previous_position=e.position, previous_doctor_id=e.doctor_id))
    return out
