"""Allocation model: booking requests to slots, with bounded, priced overbooking."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from server.solver.bundles import (
    Room,
    bundle_count_bound,
    overbook_extra,
    request_value,
    slot_bundles,
)
from server.solver.cpsat import remaining, solve
from server.solver.overbooking import slot_load
from server.solver.policy import PROB_SCALE, SolverPolicy, scale_prob
from server.solver.types import (
    AllocationRequest,
    AllocationResult,
    SlotLoad,
    SlotSpec,
    SolveStats,
)


@dataclass
class _Model:
    """The CP-SAT model with the variables that decide each request's slot."""

    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    # (slot_id, request_ids) -> literal: this slot receives exactly these new bookings.
    bundles: dict[tuple[int, tuple[int, ...]], cp_model.IntVar] = field(default_factory=dict)
    # (request_id, slot_id) -> literal, for slots too big to enumerate.
    singles: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    objective: list[cp_model.LinearExprT] = field(default_factory=list)
    per_request: dict[int, list[cp_model.IntVar]] = field(default_factory=dict)


def allocate(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy | None = None,
    *,
    seed: int | None = None,
) -> AllocationResult:
    """Assign requests to slots, maximising urgency-weighted value minus overbooking cost."""
    started = time.perf_counter()
    policy = policy or SolverPolicy()
    m = _Model()
    for slot, candidates in _candidates(slots, requests, policy).items():
        room = Room.of(slot, policy)
        if bundle_count_bound(len(candidates), room) <= policy.max_bundles_per_slot:
            _add_bundles(m, slot, room, candidates, policy)
        else:
            _add_knapsack(m, slot, room, candidates, policy)
    for literals in m.per_request.values():
        if len(literals) > 1:
            m.model.add_at_most_one(literals)
    m.model.maximize(cp_model.LinearExpr.sum(m.objective))
    solver, stats = solve(
        m.model,
        policy,
        remaining(policy.allocation_time_limit_s, started),
        seed,
        # Knapsack rows need presolve and cuts; enumerated bundles need neither.
        lp_heavy=not m.singles,
    )
    solved = stats.status in ("optimal", "feasible")
    chosen = _decode(m, solver) if solved else {}
    return AllocationResult(
        assignments=chosen,
        unassigned=tuple(r.request_id for r in requests if r.request_id not in chosen),
        slot_loads=_loads(slots, requests, chosen),
        stats=replace(
            stats, objective=stats.objective / PROB_SCALE, bound=stats.bound / PROB_SCALE
        ),
    )


def allocation_value(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    assignments: Mapping[int, int],
    policy: SolverPolicy | None = None,
) -> float:
    """Return the objective of an assignment, in value units (for checks and tests)."""
    policy = policy or SolverPolicy()
    slot_of = {s.slot_id: s for s in slots}
    total = 0
    for r in requests:
        if r.request_id in assignments:
            total += request_value(r, slot_of[assignments[r.request_id]], policy) * PROB_SCALE
    for s in slots:
        room = Room.of(s, policy)
        mine = [r for r in requests if assignments.get(r.request_id) == s.slot_id]
        milli = room.milli + sum(scale_prob(r.show_prob) for r in mine)
        total -= policy.alpha(s) * overbook_extra(s, milli)
    return total / PROB_SCALE


def _candidates(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy,
) -> dict[SlotSpec, list[AllocationRequest]]:
    """Return, per slot, the requests that could go there alone: eligible, in window, fits."""
    by_doctor: dict[int, list[SlotSpec]] = {}
    for s in slots:
        by_doctor.setdefault(s.doctor_id, []).append(s)
    rooms = {s.slot_id: Room.of(s, policy) for s in slots}
    out: dict[SlotSpec, list[AllocationRequest]] = {s: [] for s in slots}
    for r in requests:
        for d in dict.fromkeys(r.eligible_doctor_ids):
            for s in by_doctor.get(d, ()):
                in_window = r.window_start_min <= s.start_min <= r.window_end_min
                if in_window and rooms[s.slot_id].fits(s, 1, scale_prob(r.show_prob)):
                    out[s].append(r)
    return out


def _add_bundles(
    m: _Model,
    slot: SlotSpec,
    room: Room,
    candidates: Sequence[AllocationRequest],
    policy: SolverPolicy,
) -> None:
    """Add one literal per feasible set of new bookings; the slot takes at most one set."""
    # Enumerating the sets makes the LP relaxation nearly integral: the knapsack row on
    # expected arrivals alone leaves a gap CP-SAT cannot close within seconds.
    literals: list[cp_model.IntVar] = []
    for b in slot_bundles(slot, room, candidates, policy):
        lit = m.model.new_bool_var(f"b_{slot.slot_id}_{'_'.join(map(str, b.request_ids))}")
        m.bundles[slot.slot_id, b.request_ids] = lit
        m.objective.append(b.coefficient * lit)
        literals.append(lit)
        for rid in b.request_ids:
            m.per_request.setdefault(rid, []).append(lit)
    if len(literals) > 1:
        m.model.add_at_most_one(literals)


def _add_knapsack(
    m: _Model,
    slot: SlotSpec,
    room: Room,
    candidates: Sequence[AllocationRequest],
    policy: SolverPolicy,
) -> None:
    """Model a large slot with one literal per request and capped count and arrivals."""
    terms: list[tuple[int, cp_model.IntVar]] = []
    for r in candidates:
        lit = m.model.new_bool_var(f"x_{r.request_id}_{slot.slot_id}")
        m.singles[r.request_id, slot.slot_id] = lit
        m.per_request.setdefault(r.request_id, []).append(lit)
        m.objective.append(request_value(r, slot, policy) * PROB_SCALE * lit)
        terms.append((scale_prob(r.show_prob), lit))
    m.model.add(sum(lit for _, lit in terms) <= room.extra_bookings)
    arrivals = room.milli + sum(p * lit for p, lit in terms)
    # Beyond capacity, expected arrivals must stay within the limit.
    over = m.model.new_bool_var(f"over_{slot.slot_id}")
    count = room.bookings + sum(lit for _, lit in terms)
    m.model.add(count <= slot.capacity).only_enforce_if(~over)
    m.model.add(arrivals <= room.milli_limit).only_enforce_if(over)
    extra = m.model.new_int_var(0, room.milli_limit, f"extra_{slot.slot_id}")
    m.model.add(extra >= arrivals - slot.capacity * PROB_SCALE)
    m.objective.append(-policy.alpha(slot) * extra)


def _decode(m: _Model, solver: cp_model.CpSolver) -> dict[int, int]:
    """Return request_id -> slot_id from the solved literals."""
    chosen = {
        rid: sid
        for (sid, rids), lit in m.bundles.items()
        if solver.boolean_value(lit)
        for rid in rids
    }
    chosen.update((rid, sid) for (rid, sid), lit in m.singles.items() if solver.boolean_value(lit))
    return chosen


def _loads(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    chosen: Mapping[int, int],
) -> tuple[SlotLoad, ...]:
    """Describe every slot's bookings after allocation, for staff."""
    probs: dict[int, list[float]] = {s.slot_id: list(s.booked_show_probs) for s in slots}
    for r in requests:
        if r.request_id in chosen:
            probs[chosen[r.request_id]].append(r.show_prob)
    return tuple(slot_load(s, probs[s.slot_id]) for s in slots)


def greedy_allocation(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy | None = None,
) -> dict[int, int]:
    """Book requests one by one, most urgent and least flexible first, into the best slot."""
    policy = policy or SolverPolicy()
    candidates = _candidates(slots, requests, policy)
    options: dict[int, list[SlotSpec]] = {r.request_id: [] for r in requests}
    for s, rs in candidates.items():
        for r in rs:
            options[r.request_id].append(s)
    rooms = {s.slot_id: Room.of(s, policy) for s in slots}
    order = sorted(
        requests,
        key=lambda r: (-policy.weight(r.urgency), len(options[r.request_id]), r.request_id),
    )
    chosen: dict[int, int] = {}
    for r in order:
        best = _best_slot(r, options[r.request_id], rooms, policy)
        if best is not None:
            chosen[r.request_id] = best.slot_id
            room = rooms[best.slot_id]
            rooms[best.slot_id] = replace(
                room,
                bookings=room.bookings + 1,
                milli=room.milli + scale_prob(r.show_prob),
                extra_bookings=room.extra_bookings - 1,
            )
    return chosen


def greedy_result(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy | None = None,
) -> AllocationResult:
    """Return the greedy allocation as a result, for when CP-SAT finds nothing in its budget."""
    started = time.perf_counter()
    chosen = greedy_allocation(slots, requests, policy)
    value = allocation_value(slots, requests, chosen, policy)
    return AllocationResult(
        assignments=chosen,
        unassigned=tuple(r.request_id for r in requests if r.request_id not in chosen),
        slot_loads=_loads(slots, requests, chosen),
        stats=SolveStats("greedy", value, value, None, time.perf_counter() - started),
    )


def _best_slot(
    request: AllocationRequest,
    options: Sequence[SlotSpec],
    rooms: Mapping[int, Room],
    policy: SolverPolicy,
) -> SlotSpec | None:
    """Return the slot with the highest positive net gain for this request, if any."""
    best: SlotSpec | None = None
    best_gain = 0
    p = scale_prob(request.show_prob)
    for s in options:
        room = rooms[s.slot_id]
        if not room.fits(s, 1, p):
            continue
        extra = overbook_extra(s, room.milli + p) - overbook_extra(s, room.milli)
        gain = request_value(request, s, policy) * PROB_SCALE - policy.alpha(s) * extra
        if gain > best_gain:
            best, best_gain = s, gain
    return best
