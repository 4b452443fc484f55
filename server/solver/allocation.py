"""Allocation model: booking requests to slots, with bounded, priced overbooking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from server.solver.cpsat import solve
from server.solver.overbooking import expected_milli, slot_load
from server.solver.policy import PROB_SCALE, SolverPolicy, scale_prob
from server.solver.types import (
    AllocationRequest,
    AllocationResult,
    SlotLoad,
    SlotSpec,
    SolveStats,
)


@dataclass(frozen=True, slots=True)
class _Room:
    """What a slot can still take beyond its existing bookings."""

    bookings: int
    milli: int
    extra_bookings: int
    milli_limit: int


def allocate(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy | None = None,
    *,
    hint: Mapping[int, int] | None = None,
    seed: int | None = None,
) -> AllocationResult:
    """Assign requests to slots, maximising urgency-weighted value minus overbooking cost."""
    policy = policy or SolverPolicy()
    rooms = {s.slot_id: _room(s, policy) for s in slots}
    model = cp_model.CpModel()
    x = _assignment_vars(model, slots, requests, rooms)
    _add_request_limits(model, requests, x)
    penalty = _add_slot_limits(model, slots, requests, rooms, x, policy)
    request_of = {r.request_id: r for r in requests}
    slot_of = {s.slot_id: s for s in slots}
    value = cp_model.LinearExpr.weighted_sum(
        list(x.values()),
        [_value(request_of[rid], slot_of[sid], policy) * PROB_SCALE for rid, sid in x],
    )
    model.maximize(value - penalty)
    if hint is not None:
        for (rid, sid), var in x.items():
            model.add_hint(var, hint.get(rid) == sid)
    solver, stats = solve(model, policy, policy.allocation_time_limit_s, seed)
    solved = stats.status in ("optimal", "feasible")
    chosen = {rid: sid for (rid, sid), v in x.items() if solved and solver.boolean_value(v)}
    return AllocationResult(
        assignments=chosen,
        unassigned=tuple(r.request_id for r in requests if r.request_id not in chosen),
        slot_loads=_loads(slots, requests, chosen),
        stats=_rescaled(stats),
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
    total = 0.0
    for r in requests:
        if r.request_id in assignments:
            total += _value(r, slot_of[assignments[r.request_id]], policy)
    for s in slots:
        probs = [r.show_prob for r in requests if assignments.get(r.request_id) == s.slot_id]
        milli = expected_milli([*s.booked_show_probs, *probs])
        total -= policy.alpha(s) * max(0, milli - s.capacity * PROB_SCALE) / PROB_SCALE
    return total


def _room(slot: SlotSpec, policy: SolverPolicy) -> _Room:
    """Return how many more bookings and expected arrivals the slot can take."""
    bookings = len(slot.booked_show_probs)
    milli = expected_milli(slot.booked_show_probs)
    extra = max(0, policy.max_bookings(slot) - bookings)
    return _Room(bookings, milli, extra, policy.max_expected_milli(slot))


def _fits_alone(request: AllocationRequest, slot: SlotSpec, room: _Room) -> bool:
    """Return whether this one booking could go into the slot at all."""
    if room.extra_bookings == 0:
        return False
    if room.bookings + 1 <= slot.capacity:
        return True
    return room.milli + scale_prob(request.show_prob) <= room.milli_limit


def _assignment_vars(
    model: cp_model.CpModel,
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    rooms: Mapping[int, _Room],
) -> dict[tuple[int, int], cp_model.IntVar]:
    """Create a boolean only for pairs that can be 1: eligible doctor, slot in window."""
    by_doctor: dict[int, list[SlotSpec]] = {}
    for s in slots:
        by_doctor.setdefault(s.doctor_id, []).append(s)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for r in requests:
        for d in r.eligible_doctor_ids:
            for s in by_doctor.get(d, ()):
                in_window = r.window_start_min <= s.start_min <= r.window_end_min
                if in_window and _fits_alone(r, s, rooms[s.slot_id]):
                    x[r.request_id, s.slot_id] = model.new_bool_var(f"x_{r.request_id}_{s.slot_id}")
    return x


def _add_request_limits(
    model: cp_model.CpModel,
    requests: Sequence[AllocationRequest],
    x: Mapping[tuple[int, int], cp_model.IntVar],
) -> None:
    """Book each request at most once."""
    per_request: dict[int, list[cp_model.IntVar]] = {r.request_id: [] for r in requests}
    for (rid, _), var in x.items():
        per_request[rid].append(var)
    for vars_ in per_request.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)


def _add_slot_limits(
    model: cp_model.CpModel,
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    rooms: Mapping[int, _Room],
    x: Mapping[tuple[int, int], cp_model.IntVar],
    policy: SolverPolicy,
) -> cp_model.LinearExpr:
    """Cap bookings and expected arrivals per slot; return the overbooking penalty."""
    prob = {r.request_id: scale_prob(r.show_prob) for r in requests}
    per_slot: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for (rid, sid), var in x.items():
        per_slot.setdefault(sid, []).append((prob[rid], var))
    penalty: list[cp_model.LinearExpr] = []
    for s in slots:
        terms = per_slot.get(s.slot_id, [])
        room = rooms[s.slot_id]
        if len(terms) > room.extra_bookings:
            model.add(sum(v for _, v in terms) <= room.extra_bookings)
        arrivals = room.milli + sum(p * v for p, v in terms)
        if room.milli + sum(p for p, _ in terms) > room.milli_limit:
            model.add(arrivals <= room.milli_limit)
            _add_conflict_cliques(model, s, room, terms)
        base = s.capacity * PROB_SCALE
        if room.milli + sum(p for p, _ in terms) > base:
            # Expected extra patients (thousandths); minimising the penalty keeps it tight.
            extra = model.new_int_var(0, room.milli_limit, f"extra_{s.slot_id}")
            model.add(extra >= arrivals - base)
            penalty.append(policy.alpha(s) * extra)
    return cp_model.LinearExpr.sum(penalty) if penalty else cp_model.LinearExpr.constant(0)


def _add_conflict_cliques(
    model: cp_model.CpModel,
    slot: SlotSpec,
    room: _Room,
    terms: Sequence[tuple[int, cp_model.IntVar]],
) -> None:
    """State outright which requests cannot share the slot's last place and its overbooking."""
    # The knapsack row alone has a weak LP relaxation; these cliques are valid
    # inequalities that close most of the gap (CP-SAT would find them late, if at all).
    room_milli = room.milli_limit - room.milli
    slots_left = slot.capacity - room.bookings
    if slots_left < 1:
        return
    heavy = [(p, v) for p, v in terms if p * (slots_left + 1) > room_milli]
    if len(heavy) > slots_left:
        model.add(sum(v for _, v in heavy) <= slots_left)
    if slots_left != 1 or room.extra_bookings != 2:
        return
    # One place plus one overbooking: two requests conflict when their sum passes the
    # limit. That is a threshold graph; its maximal cliques are a light request with
    # every heavy request it cannot pair with.
    for p_light, v_light in terms:
        partners = [v for p, v in heavy if p + p_light > room_milli and v is not v_light]
        if partners and 2 * p_light <= room_milli:
            model.add_at_most_one([v_light, *partners])


def _value(request: AllocationRequest, slot: SlotSpec, policy: SolverPolicy) -> int:
    """Return the urgency-weighted value of booking this request into this slot."""
    bonus = policy.preferred_doctor_bonus if request.preferred_doctor_id == slot.doctor_id else 0
    return policy.weight(request.urgency) * (policy.assign_value + bonus)


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


def _rescaled(stats: SolveStats) -> SolveStats:
    """Return statistics in value units rather than thousandths."""
    return replace(stats, objective=stats.objective / PROB_SCALE, bound=stats.bound / PROB_SCALE)


def greedy_allocation(
    slots: Sequence[SlotSpec],
    requests: Sequence[AllocationRequest],
    policy: SolverPolicy | None = None,
) -> dict[int, int]:
    """Book requests one by one, most urgent and least flexible first, into the best slot."""
    policy = policy or SolverPolicy()
    state = {s.slot_id: _room(s, policy) for s in slots}
    by_doctor: dict[int, list[SlotSpec]] = {}
    for s in slots:
        by_doctor.setdefault(s.doctor_id, []).append(s)

    def options(r: AllocationRequest) -> list[SlotSpec]:
        doctors = (by_doctor.get(d, []) for d in r.eligible_doctor_ids)
        return [
            s for ss in doctors for s in ss if r.window_start_min <= s.start_min <= r.window_end_min
        ]

    order = sorted(
        requests, key=lambda r: (-policy.weight(r.urgency), len(options(r)), r.request_id)
    )
    chosen: dict[int, int] = {}
    for r in order:
        best = _best_slot(r, options(r), state, policy)
        if best is not None:
            chosen[r.request_id] = best.slot_id
            room = state[best.slot_id]
            state[best.slot_id] = replace(
                room,
                bookings=room.bookings + 1,
                milli=room.milli + scale_prob(r.show_prob),
                extra_bookings=room.extra_bookings - 1,
            )
    return chosen


def _best_slot(
    request: AllocationRequest,
    options: Sequence[SlotSpec],
    state: Mapping[int, _Room],
    policy: SolverPolicy,
) -> SlotSpec | None:
    """Return the slot with the highest positive net gain for this request, if any."""
    best: SlotSpec | None = None
    best_gain = 0
    p = scale_prob(request.show_prob)
    for s in options:
        room = state[s.slot_id]
        if not _fits_alone(request, s, room):
            continue
        base = s.capacity * PROB_SCALE
        extra = max(0, room.milli + p - base) - max(0, room.milli - base)
        gain = _value(request, s, policy) * PROB_SCALE - policy.alpha(s) * extra
        if gain > best_gain:
            best, best_gain = s, gain
    return best
