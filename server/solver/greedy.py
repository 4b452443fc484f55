"""The greedy plan: instant, good enough to publish while CP-SAT works."""

from __future__ import annotations

import time
from collections.abc import Sequence

from server.solver.plans import build_plan, plan_cost
from server.solver.policy import SolverPolicy
from server.solver.sequencing import Prepared, prepare, priority_key
from server.solver.types import Plan, QueueState, SolveStats, WaitingTicket


def greedy_plan(state: QueueState, policy: SolverPolicy | None = None) -> Plan:
    """Plan the queue by rule: emergencies, urgent, routine; then appointment or arrival."""
    started = time.perf_counter()
    policy = policy or SolverPolicy()
    prep = prepare(state)
    orders = greedy_orders(prep, policy)
    draft = build_plan(prep, orders, "greedy", _stats(0, started))
    cost = plan_cost(prep, draft, policy)
    return build_plan(prep, orders, "greedy", _stats(cost, started))


def greedy_orders(prep: Prepared, policy: SolverPolicy) -> dict[int, list[WaitingTicket]]:
    """Return each doctor's non-emergency queue: priority order, then the move-back limit."""
    free = dict(prep.base_free)
    assigned: dict[int, list[WaitingTicket]] = {d: [] for d in prep.doctors}
    for t in prep.others:
        doctor = _choose_doctor(prep, t, free)
        assigned[doctor].append(t)
        free[doctor] += t.expected_duration_min
    return {d: _respect_moveback(prep, d, queue, policy) for d, queue in assigned.items()}


def _choose_doctor(prep: Prepared, ticket: WaitingTicket, free: dict[int, int]) -> int:
    """Keep a ticket with its previous doctor; else take the one free soonest."""
    options = prep.candidates[ticket.ticket_id]
    if ticket.previous_doctor_id in options and prep.previous_rank[ticket.ticket_id] is not None:
        return ticket.previous_doctor_id
    return min(options, key=lambda d: (free[d], d))


def _respect_moveback(
    prep: Prepared, doctor_id: int, queue: Sequence[WaitingTicket], policy: SolverPolicy
) -> list[WaitingTicket]:
    """Reorder so nobody passes their move-back limit, else keep the priority order."""
    # Earliest-deadline-first on positions: at each place, a ticket that would
    # otherwise pass its limit goes now; otherwise the next one by priority does.
    offset = len(prep.emergencies[doctor_id])
    no_limit = offset + len(queue)
    limits = {}
    for t in queue:
        limit = prep.max_position(t, doctor_id, policy)
        limits[t.ticket_id] = no_limit if limit is None else limit
    remaining = list(queue)
    out: list[WaitingTicket] = []
    jumped = 0  # jumpers placed so far: each one excuses a place for everyone behind
    while remaining:
        position = offset + len(out)
        due = [t for t in remaining if limits[t.ticket_id] + jumped <= position]
        pick = min(due, key=lambda t: limits[t.ticket_id]) if due else remaining[0]
        # A jumper (returning, urgent newcomer) goes before the pick it outranks.
        jumper = next((t for t in remaining if t.ticket_id in prep.jumpers), None)
        if jumper is not None and priority_key(jumper) < priority_key(pick):
            pick = jumper
        jumped += pick.ticket_id in prep.jumpers
        remaining.remove(pick)
        out.append(pick)
    return out


def _stats(cost: int, started: float) -> SolveStats:
    """Return statistics for a greedy plan; it proves nothing, so its bound is 0."""
    elapsed = time.perf_counter() - started
    return SolveStats("greedy", float(cost), 0.0, elapsed, elapsed)
