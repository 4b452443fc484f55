"""Re-sequencing model: the department's waiting tickets into each doctor's queue order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TypeVar

from ortools.sat.python import cp_model

from server.solver.cpsat import remaining, solve
from server.solver.greedy import greedy_orders
from server.solver.plans import build_plan, jumpers_ahead, plan_cost
from server.solver.policy import SolverPolicy
from server.solver.sequencing import Prepared, excuses, lateness_due, overtakers, overtakes, prepare
from server.solver.types import Plan, QueueState, SolveStats, WaitingTicket

Lit = cp_model.LiteralT
K = TypeVar("K")


@dataclass
class _Model:
    """The CP-SAT model and the variables needed to read a plan back."""

    prep: Prepared
    policy: SolverPolicy
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    # (ticket_id, doctor_id) -> the ticket is seen by that doctor.
    on: dict[tuple[int, int], Lit] = field(default_factory=dict)
    # (i, j, doctor_id) -> i is ahead of j in that doctor's queue.
    ahead: dict[tuple[int, int, int], Lit] = field(default_factory=dict)
    start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    rank: dict[int, cp_model.LinearExpr] = field(default_factory=dict)
    late: dict[int, cp_model.IntVar] = field(default_factory=dict)
    overtime: dict[int, cp_model.IntVar] = field(default_factory=dict)
    moved: dict[int, cp_model.IntVar] = field(default_factory=dict)
    # Minutes a priority patient starts beyond their maximum wait.
    overdue: dict[int, cp_model.IntVar] = field(default_factory=dict)
    queues: dict[int, list[WaitingTicket]] = field(default_factory=dict)


def resequence(
    state: QueueState,
    policy: SolverPolicy | None = None,
    *,
    hint: Plan | None = None,
    seed: int | None = None,
) -> Plan:
    """Return the CP-SAT plan (or the greedy one if CP-SAT finds none in time)."""
    started = time.perf_counter()
    policy = policy or SolverPolicy()
    prep = prepare(state)
    orders = greedy_orders(prep, policy)
    greedy = build_plan(prep, orders, "greedy", _no_stats())
    greedy = replace(greedy, stats=replace(greedy.stats, objective=plan_cost(prep, greedy, policy)))
    if prep.priority:
        prep = replace(prep, pass_floor=_pass_floor(prep, orders, policy))
    narrowed = _narrow_doctors(prep, orders, policy)
    parts = _solve_parts(_split(narrowed), policy, (hint, greedy), seed, started)
    solved = [p for p in parts if p.orders is not None]
    if not solved:
        return replace(greedy, stats=replace(greedy.stats, final_s=time.perf_counter() - started))
    merged = {d: list(q) for d, q in orders.items()}
    for p in solved:
        merged.update(p.orders or {})
    plan = build_plan(prep, merged, "cpsat", _no_stats())
    return replace(plan, stats=_merge_stats(parts, plan_cost(prep, plan, policy), started, seed))


@dataclass(frozen=True, slots=True)
class _Part:
    """The outcome of solving one independent group of doctors."""

    orders: dict[int, list[WaitingTicket]] | None
    stats: SolveStats
    bound: float
    first_at: float | None


def _pass_floor(
    prep: Prepared, orders: dict[int, list[WaitingTicket]], policy: SolverPolicy
) -> dict[int, int]:
    """Return, per ticket, the priority passes CP-SAT may allow: P, or greedy's if more."""
    # The greedy plan is the model's hint: it must be feasible, even on a state whose
    # earlier plans had more passes (a category edited meanwhile).
    floor: dict[int, int] = {}
    for queue in orders.values():
        for k, t in enumerate(queue):
            floor[t.ticket_id] = max(policy.max_priority_passes, overtakers(t, queue[:k]))
    return floor


def _split(prep: Prepared) -> list[Prepared]:
    """Split into groups of doctors no ticket can move between; each is solved alone."""
    # With one doctor per ticket (the default) every doctor is its own small problem,
    # which proves a 1 % gap far sooner than one model of ten unrelated queues.
    group = {d: d for d in prep.doctors}

    def root(d: int) -> int:
        while group[d] != d:
            d = group[d]
        return d

    for t in prep.others:
        first, *rest = prep.candidates[t.ticket_id]
        for d in rest:
            group[root(d)] = root(first)
    members: dict[int, list[int]] = {}
    for d in sorted(prep.doctors):
        members.setdefault(root(d), []).append(d)
    return [_restrict(prep, set(ds)) for ds in members.values()]


def _restrict(prep: Prepared, doctors: set[int]) -> Prepared:
    """Return the part of a prepared state that concerns only these doctors."""
    return replace(
        prep,
        doctors={d: a for d, a in prep.doctors.items() if d in doctors},
        emergencies={d: e for d, e in prep.emergencies.items() if d in doctors},
        base_free={d: f for d, f in prep.base_free.items() if d in doctors},
        new_emergencies={d: n for d, n in prep.new_emergencies.items() if d in doctors},
        others=tuple(t for t in prep.others if prep.candidates[t.ticket_id][0] in doctors),
    )


def _solve_parts(
    preps: list[Prepared],
    policy: SolverPolicy,
    hints: tuple[Plan | None, Plan],
    seed: int | None,
    started: float,
) -> list[_Part]:
    """Solve the groups one after another, each with its share of the remaining time."""
    # Shares follow ticket counts; time a part leaves unused passes to the next ones.
    parts = []
    for k, prep in enumerate(preps):
        later = sum(len(p.others) for p in preps[k:])
        share = len(prep.others) / later if later else 1.0
        parts.append(_solve_part(prep, policy, hints, seed, started, share))
    return parts


def _solve_part(
    prep: Prepared,
    policy: SolverPolicy,
    hints: tuple[Plan | None, Plan],
    seed: int | None,
    started: float,
    share: float,
) -> _Part:
    """Solve one group of doctors within its share of the remaining time."""
    if not prep.others:
        cost = float(_emergency_cost(prep, policy))
        return _Part(
            {d: [] for d in prep.doctors}, SolveStats("optimal", cost, cost, 0, 0), cost, 0
        )
    m = _build(prep, policy)
    # The greedy plan is the starting point (same costs, same rules), so CP-SAT only
    # departs from it to improve; the caller's hint serves only if greedy's does not fit.
    _add_hint(m, _usable_hint(m, hints[1]) or _usable_hint(m, hints[0]) or hints[1])
    budget = remaining(policy.resequence_time_limit_s, started)
    offset = time.perf_counter() - started
    solver, stats = solve(m.model, policy, budget * share, seed, share=share)
    if stats.status not in ("optimal", "feasible"):
        return _Part(None, stats, 0.0, None)
    first_at = offset + stats.first_s if stats.first_s is not None else None
    return _Part(_decode(m, solver), stats, stats.bound, first_at)


def _merge_stats(parts: list[_Part], cost: int, started: float, seed: int | None) -> SolveStats:
    """Combine the parts: the plan's cost, the sum of lower bounds, the last first solution."""
    statuses = {p.stats.status for p in parts}
    firsts = [p.first_at for p in parts]
    return SolveStats(
        status="optimal" if statuses == {"optimal"} else "feasible",
        objective=float(cost),
        bound=sum(p.bound for p in parts),
        first_s=None if None in firsts else max(f for f in firsts if f is not None),
        final_s=time.perf_counter() - started,
        seed=seed,
    )


def _narrow_doctors(
    prep: Prepared, orders: dict[int, list[WaitingTicket]], policy: SolverPolicy
) -> Prepared:
    """Offer a flexible ticket only a few doctors: its own, greedy's, the least loaded."""
    # Every walk-in eligible for every doctor makes the model several times larger
    # for little gain: moving a patient to a busier doctor never helps them.
    load = {
        d: prep.base_free[d] + sum(t.expected_duration_min for t in q) for d, q in orders.items()
    }
    greedy_doctor = {t.ticket_id: d for d, q in orders.items() for t in q}
    by_load = sorted(prep.doctors, key=lambda d: (load[d], d))
    narrowed = dict(prep.candidates)
    for t in prep.others:
        options = prep.candidates[t.ticket_id]
        if len(options) <= policy.max_doctor_options:
            continue
        keep = [d for d in (t.previous_doctor_id, greedy_doctor[t.ticket_id]) if d in options]
        keep += [d for d in by_load if d in options]
        narrowed[t.ticket_id] = tuple(dict.fromkeys(keep))[: policy.max_doctor_options]
    return replace(prep, candidates=narrowed)


def _build(prep: Prepared, policy: SolverPolicy) -> _Model:
    """Build the doctor choice, the pairwise order per doctor, and the costs."""
    m = _Model(prep, policy)
    for d in sorted(prep.doctors):
        m.queues[d] = [t for t in prep.others if d in prep.candidates[t.ticket_id]]
    horizon = _horizon(prep)
    for t in prep.others:
        _add_doctor_choice(m, t)
        start = m.model.new_int_var(prep.base_free[_first(prep, t)], horizon, f"s_{t.ticket_id}")
        m.start[t.ticket_id] = start
    for d, queue in m.queues.items():
        for i, j in combinations(queue, 2):
            _add_pair(m, i, j, d)
    for t in prep.others:
        _add_ticket_costs(m, t, horizon)
    m.model.minimize(_objective(m))
    return m


def _add_doctor_choice(m: _Model, t: WaitingTicket) -> None:
    """Let the ticket be seen by exactly one of its doctors."""
    options = m.prep.candidates[t.ticket_id]
    if len(options) == 1:
        m.on[t.ticket_id, options[0]] = m.model.new_constant(1)
        return
    literals = [m.model.new_bool_var(f"on_{t.ticket_id}_{d}") for d in options]
    m.model.add_exactly_one(literals)
    for d, lit in zip(options, literals, strict=True):
        m.on[t.ticket_id, d] = lit


def _add_pair(m: _Model, i: WaitingTicket, j: WaitingTicket, d: int) -> None:
    """Order two tickets that may share doctor d, consistently with their starts."""
    a, b = i.ticket_id, j.ticket_id
    if len(m.prep.candidates[a]) == len(m.prep.candidates[b]) == 1:
        first = m.model.new_bool_var(f"a_{a}_{b}")
        m.ahead[a, b, d], m.ahead[b, a, d] = first, ~first
    else:
        on_a, on_b = m.on[a, d], m.on[b, d]
        ab = m.model.new_bool_var(f"a_{a}_{b}_{d}")
        ba = m.model.new_bool_var(f"a_{b}_{a}_{d}")
        # Exactly one order when both are on d; neither otherwise.
        for lit in (ab, ba):
            m.model.add_implication(lit, on_a)
            m.model.add_implication(lit, on_b)
        m.model.add_at_most_one(ab, ba)
        m.model.add_bool_or(ab, ba, ~on_a, ~on_b)
        m.ahead[a, b, d], m.ahead[b, a, d] = ab, ba
    # Starts follow the order; this also rules out cycles in the pairwise order.
    m.model.add(m.start[b] >= m.start[a] + i.expected_duration_min).only_enforce_if(
        m.ahead[a, b, d]
    )
    m.model.add(m.start[a] >= m.start[b] + j.expected_duration_min).only_enforce_if(
        m.ahead[b, a, d]
    )


def _add_ticket_costs(m: _Model, t: WaitingTicket, horizon: int) -> None:
    """Define start, rank, lateness, overtime and places moved back, all linear."""
    prep, policy = m.prep, m.policy
    tid = t.ticket_id
    options = prep.candidates[tid]
    on = [(d, m.on[tid, d]) for d in options]
    ahead = [(o, m.ahead[o.ticket_id, tid, d]) for d in options for o in m.queues[d] if o is not t]
    # Start = the doctor's free minute + the durations of everyone ahead: exact for a
    # queue without idle time, and linear, so the LP sees lateness without big-M.
    m.model.add(
        m.start[tid]
        == _wsum(on, lambda d: prep.base_free[d]) + _wsum(ahead, lambda o: o.expected_duration_min)
    )
    m.rank[tid] = _wsum(on, lambda d: len(prep.emergencies[d])) + _wsum(ahead, lambda _: 1)
    due = lateness_due(t, policy)
    m.late[tid] = m.model.new_int_var(0, max(0, horizon - due), f"late_{tid}")
    m.model.add(m.late[tid] >= m.start[tid] - due)
    ends = [prep.doctors[d].session_end for d in options]
    m.overtime[tid] = m.model.new_int_var(0, max(0, horizon - min(ends)), f"over_{tid}")
    session_end = _wsum(on, lambda d: prep.doctors[d].session_end)
    m.model.add(m.overtime[tid] >= m.start[tid] - session_end)
    deadline = t.wait_deadline
    if deadline is not None:
        m.overdue[tid] = m.model.new_int_var(0, max(0, horizon - deadline), f"overdue_{tid}")
        m.model.add(m.overdue[tid] >= m.start[tid] - deadline)
    if prep.priority:
        # At most P (or the hint's count) later arrivals of a priority category ahead.
        passers = [
            m.ahead[o.ticket_id, tid, d] for d in options for o in m.queues[d] if overtakes(o, t)
        ]
        if passers:
            m.model.add(
                cp_model.LinearExpr.sum(passers)
                <= prep.pass_floor.get(tid, policy.max_priority_passes)
            )
    rank = prep.previous_rank[tid]
    if rank is not None:
        # Places moved back beyond those newly inserted emergencies, jumpers and priority
        # patients (within P) explain; at most K.
        allowed = _wsum(on, lambda d: prep.new_emergencies[d]) + rank
        jumpers = [
            (o, m.ahead[o.ticket_id, tid, d])
            for d in options
            for o in m.queues[d]
            if excuses(prep, o, t)
        ]
        if jumpers:
            allowed = allowed + _wsum(jumpers, lambda _: 1)
        m.moved[tid] = m.model.new_int_var(0, policy.max_moveback, f"back_{tid}")
        m.model.add(m.moved[tid] >= m.rank[tid] - allowed)


def _wsum(pairs: Sequence[tuple[K, Lit]], coefficient: Callable[[K], int]) -> cp_model.LinearExpr:
    """Return the sum of literals weighted by a coefficient of what each stands for."""
    return cp_model.LinearExpr.weighted_sum(
        [lit for _, lit in pairs], [coefficient(k) for k, _ in pairs]
    )


def _objective(m: _Model) -> cp_model.LinearExprT:
    """Return weighted lateness + overtime + disruption, plus the fixed emergency costs."""
    policy = m.policy
    terms: list[cp_model.LinearExprT] = []
    for t in m.prep.others:
        tid = t.ticket_id
        weight = policy.weight(t.urgency) * t.priority_weight
        terms += [weight * m.late[tid], policy.overtime_penalty * m.overtime[tid]]
        if tid in m.moved:
            terms.append(policy.disruption_penalty * m.moved[tid])
        if tid in m.overdue:
            terms.append(policy.overdue_penalty * m.overdue[tid])
    return cp_model.LinearExpr.sum(terms) + _emergency_cost(m.prep, policy)


def _first(prep: Prepared, t: WaitingTicket) -> int:
    """Return the ticket's doctor that is free soonest (its earliest possible start)."""
    return min(prep.candidates[t.ticket_id], key=lambda d: prep.base_free[d])


def _horizon(prep: Prepared) -> int:
    """Return a minute no planned start can pass."""
    total = sum(t.expected_duration_min for t in prep.state.tickets)
    return max(prep.base_free.values(), default=0) + total


def _emergency_cost(prep: Prepared, policy: SolverPolicy) -> int:
    """Return the lateness and overtime of the emergencies, fixed before the solve."""
    cost = 0
    for d, emergencies in prep.emergencies.items():
        start = prep.base_free[d] - sum(e.expected_duration_min for e in emergencies)
        for e in emergencies:
            cost += policy.weight("emergency") * max(0, start - lateness_due(e, policy))
            cost += policy.overtime_penalty * max(0, start - prep.doctors[d].session_end)
            start += e.expected_duration_min
    return cost


def _usable_hint(m: _Model, plan: Plan | None) -> Plan | None:
    """Return the plan if it places every ticket somewhere the model allows, else None."""
    if plan is None:
        return None
    placed = {e.ticket_id: e.doctor_id for e in plan.entries}
    ok = all((t.ticket_id, placed.get(t.ticket_id, -1)) in m.on for t in m.prep.others)
    return plan if ok else None


def _add_hint(m: _Model, plan: Plan) -> None:
    """Warm-start from a plan: a value for every variable, so CP-SAT starts from it."""
    # Positions are recomputed from the plan's order, so a plan from an older state
    # (tickets since called or added) still gives a consistent, complete hint.
    entries = sorted(plan.entries, key=lambda e: (e.doctor_id, e.position))
    order = {e.ticket_id: (e.doctor_id, k) for k, e in enumerate(entries)}
    orders: dict[int, list[WaitingTicket]] = {d: [] for d in m.prep.doctors}
    for t in sorted(m.prep.others, key=lambda t: order[t.ticket_id][1]):
        orders[order[t.ticket_id][0]].append(t)
    _hint_values(m, build_plan(m.prep, orders, "greedy", _no_stats()))


def _hint_values(m: _Model, plan: Plan) -> None:
    """Hint every variable from a plan that the model can represent."""
    prep, policy = m.prep, m.policy
    where = {e.ticket_id: e for e in plan.entries}
    for (tid, d), lit in m.on.items():
        if isinstance(lit, cp_model.IntVar) and len(prep.candidates[tid]) > 1:
            m.model.add_hint(lit, where[tid].doctor_id == d)
    for (a, b, d), lit in m.ahead.items():
        if isinstance(lit, cp_model.IntVar):
            ea, eb = where[a], where[b]
            m.model.add_hint(lit, ea.doctor_id == eb.doctor_id == d and ea.position < eb.position)
    for t in prep.others:
        e = where[t.ticket_id]
        m.model.add_hint(m.start[t.ticket_id], e.start_min)
        m.model.add_hint(m.late[t.ticket_id], max(0, e.start_min - lateness_due(t, policy)))
        end = prep.doctors[e.doctor_id].session_end
        m.model.add_hint(m.overtime[t.ticket_id], max(0, e.start_min - end))
        if t.ticket_id in m.moved:
            back = prep.moved_back(t, e.doctor_id, e.position, jumpers_ahead(prep, plan, e))
            m.model.add_hint(m.moved[t.ticket_id], min(back, policy.max_moveback))
        deadline = t.wait_deadline
        if t.ticket_id in m.overdue and deadline is not None:
            m.model.add_hint(m.overdue[t.ticket_id], max(0, e.start_min - deadline))


def _decode(m: _Model, solver: cp_model.CpSolver) -> dict[int, list[WaitingTicket]]:
    """Return each doctor's non-emergency queue, ordered by solved start."""
    orders: dict[int, list[WaitingTicket]] = {d: [] for d in m.prep.doctors}
    for t in m.prep.others:
        d = next(
            d for d in m.prep.candidates[t.ticket_id] if solver.boolean_value(m.on[t.ticket_id, d])
        )
        orders[d].append(t)
    for queue in orders.values():
        queue.sort(key=lambda t: (solver.value(m.start[t.ticket_id]), t.ticket_id))
    return orders


def _no_stats() -> SolveStats:
    """Return placeholder statistics for a plan about to be costed."""
    return SolveStats("greedy", 0.0, 0.0, 0.0, 0.0)
