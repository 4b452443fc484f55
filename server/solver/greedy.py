"""The greedy plan: instant, good enough to publish while CP-SAT works."""

from __future__ import annotations

import time
from collections.abc import Sequence

from server.solver.plans import build_plan, plan_cost
from server.solver.policy import SolverPolicy
from server.solver.sequencing import (
    Prepared,
    excuses,
    overtakes,
    prepare,
    priority_key,
    was_ahead,
)
from server.solver.types import URGENCY_RANK, Plan, QueueState, SolveStats, WaitingTicket


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
    if prep.priority:
        return _respect_moveback_with_priority(prep, doctor_id, queue, policy, limits)
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


def _respect_moveback_with_priority(
    prep: Prepared,
    doctor_id: int,
    queue: Sequence[WaitingTicket],
    policy: SolverPolicy,
    limits: dict[int, int],
) -> list[WaitingTicket]:
    """The same pass when priority patients wait: they may rise, within K and P."""
    # A pass excuses a lost place only for those the passer was not ahead of before, so
    # each ticket counts its own excuses (without priority, every jumper excuses everyone).
    offset = len(prep.emergencies[doctor_id])
    excused = {t.ticket_id: 0 for t in queue}
    # Later priority arrivals that were ahead of each ticket before (they stay ahead), and
    # how many such passes each ticket has, counting those placed ahead of it since.
    prior = {
        t.ticket_id: {p.ticket_id for p in queue if overtakes(p, t) and was_ahead(prep, p, t)}
        for t in queue
    }
    load = {t.ticket_id: len(prior[t.ticket_id]) for t in queue}
    remaining = list(queue)
    out: list[WaitingTicket] = []
    clock = prep.base_free[doctor_id]  # when the next patient of this line starts
    while remaining:
        position = offset + len(out)

        def slack(t: WaitingTicket) -> int:
            return limits[t.ticket_id] + excused[t.ticket_id]

        due = [t for t in remaining if slack(t) <= position]
        pick = min(due, key=slack) if due else remaining[0]
        # A jumper (returning, urgent newcomer) goes before the pick it outranks.
        jumper = next((t for t in remaining if t.ticket_id in prep.jumpers), None)
        if jumper is not None and priority_key(jumper) < priority_key(pick):
            pick = jumper
        pick = _priority_pick(prep, remaining, load, prior, pick, clock, policy, due)
        for t in remaining:
            if t is not pick and excuses(prep, pick, t):
                excused[t.ticket_id] += 1
            if overtakes(pick, t) and pick.ticket_id not in prior[t.ticket_id]:
                load[t.ticket_id] += 1
        remaining.remove(pick)
        out.append(pick)
        clock += pick.expected_duration_min
    return out


def _priority_pick(
    prep: Prepared,
    remaining: Sequence[WaitingTicket],
    load: dict[int, int],
    prior: dict[int, set[int]],
    pick: WaitingTicket,
    clock: int,
    policy: SolverPolicy,
    due: Sequence[WaitingTicket],
) -> WaitingTicket:
    """Let a priority patient go before `pick` if they may; return who goes now.

    A priority patient goes first if they outrank the pick (their weight) or would pass their
    maximum wait behind it, but only while nobody they pass would then have more than P later
    arrivals of a priority category ahead of them, and never before a patient at their
    move-back limit whom they were ahead of already.
    """

    def fits(candidate: WaitingTicket) -> bool:
        for t in remaining:
            new_pass = overtakes(candidate, t) and candidate.ticket_id not in prior[t.ticket_id]
            if new_pass and load[t.ticket_id] >= policy.max_priority_passes:
                return False
        return True

    def may_pass_due(candidate: WaitingTicket) -> bool:
        return all(t is candidate or excuses(prep, candidate, t) for t in due)

    def near(t: WaitingTicket) -> bool:
        deadline = t.wait_deadline
        return deadline is not None and clock + pick.expected_duration_min > deadline

    risers = [
        t
        for t in remaining
        if t is not pick
        and t.ticket_id in prep.priority
        and t.ticket_id not in prep.jumpers
        and URGENCY_RANK[t.urgency] <= URGENCY_RANK[pick.urgency]
        and (near(t) or priority_key(t) < priority_key(pick))
    ]
    # Those about to pass their maximum wait first (soonest limit), then by priority.
    risers.sort(key=lambda t: (not near(t), t.wait_deadline or 0, priority_key(t)))
    for t in risers:
        if fits(t) and may_pass_due(t):
            return t
    if not due and pick.ticket_id in prep.priority and not fits(pick):
        # The pick by rule would pass someone already passed P times: take the next who would not.
        for t in remaining:
            if t.ticket_id not in prep.priority or fits(t):
                return t
    return pick


def _stats(cost: int, started: float) -> SolveStats:
    """Return statistics for a greedy plan; it proves nothing, so its bound is 0."""
    elapsed = time.perf_counter() - started
    return SolveStats("greedy", float(cost), 0.0, elapsed, elapsed)
