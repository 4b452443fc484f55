"""Re-sequencing with CP-SAT: hand-checked optima and the rules patients notice."""

import itertools
import random
from collections.abc import Sequence

import pytest

from server.solver import (
    DoctorAvailability,
    Plan,
    QueueState,
    SolverPolicy,
    WaitingTicket,
    greedy_plan,
    resequence,
    with_previous,
)
from server.solver.sequencing import prepare
from tests.solver.factories import (
    fast_policy,
    make_doctor,
    make_services,
    make_ticket,
    random_queue,
)


def test_short_consultation_goes_first_when_both_are_equally_late() -> None:
    # Both arrived at 0: long first costs 0 + 30, short first costs 0 + 10.
    long_one = make_ticket(ticket_id=1, expected_duration_min=30)
    short_one = make_ticket(ticket_id=2, expected_duration_min=10)

    plan = resequence(make_services([long_one, short_one]), fast_policy())

    assert [e.ticket_id for e in plan.entries] == [2, 1]
    assert plan.source == "cpsat" and plan.stats.status == "optimal"
    assert plan.stats.objective == 10


def test_urgent_minute_counts_three_times() -> None:
    # routine 10 min then urgent: 3 * 10 = 30; urgent 20 min then routine: 20 -> urgent first.
    routine = make_ticket(ticket_id=1, expected_duration_min=10, arrived_at=-30)
    urgent = make_ticket(ticket_id=2, urgency="urgent", expected_duration_min=20)

    plan = resequence(make_services([routine, urgent]), fast_policy())

    assert [e.ticket_id for e in plan.entries] == [2, 1]
    assert plan.stats.objective == 30 + 20


def test_patient_with_a_later_appointment_waits_for_the_one_due_now() -> None:
    later = make_ticket(ticket_id=1, appointment_at=40, arrived_at=-10)
    now_due = make_ticket(ticket_id=2, appointment_at=0, arrived_at=-5)

    plan = resequence(make_services([later, now_due]), fast_policy())

    assert [e.ticket_id for e in plan.entries] == [2, 1]
    assert plan.stats.objective == 0


@pytest.mark.parametrize("seed", range(4))
def test_emergencies_are_always_first_in_their_doctors_queue(seed: int) -> None:
    state = random_queue(seed)
    urgency = {t.ticket_id: t.urgency for t in state.tickets}

    plan = resequence(state, fast_policy(), seed=seed)

    for doctor in state.doctors:
        queue = sorted(
            (e for e in plan.entries if e.doctor_id == doctor.doctor_id), key=lambda e: e.position
        )
        kinds = [urgency[e.ticket_id] == "emergency" for e in queue]
        assert kinds == sorted(kinds, reverse=True)


@pytest.mark.parametrize("seed", range(4))
def test_nobody_is_moved_back_more_than_k_places_except_by_new_emergencies(seed: int) -> None:
    policy = fast_policy(max_moveback=2)
    first = random_queue(seed)
    previous = resequence(first, policy, seed=seed)
    # Then: urgent walk-ins and an emergency arrive, a doctor is held up.
    arrivals = [
        make_ticket(
            ticket_id=100 + k, urgency="urgent", eligible_doctor_ids=(0,), appointment_at=-90
        )
        for k in range(6)
    ]
    arrivals.append(make_ticket(ticket_id=200, urgency="emergency", eligible_doctor_ids=(0,)))
    tickets = [*with_previous(first.tickets, previous), *arrivals]
    services = make_services(tickets, list(first.doctors), state_version=2)

    plan = resequence(services, policy, seed=seed)

    prep = prepare(services)
    for t in prep.others:
        e = plan.entry(t.ticket_id)
        assert e is not None
        rank = prep.previous_rank[t.ticket_id]
        if rank is not None:
            assert e.position - rank <= policy.max_moveback + prep.new_emergencies[e.doctor_id]


@pytest.mark.parametrize("seed", range(3))
def test_cpsat_plan_is_never_worse_than_greedy(seed: int) -> None:
    state = random_queue(seed, tickets=40, doctors=4)
    policy = fast_policy()

    greedy = greedy_plan(state, policy)
    plan = resequence(state, policy, seed=seed)

    assert plan.stats.objective <= greedy.stats.objective
    assert plan.stats.bound <= plan.stats.objective
    assert sorted(e.ticket_id for e in plan.entries) == sorted(t.ticket_id for t in state.tickets)


def small_queue(seed: int) -> QueueState:
    """Return six routine or urgent patients, some seen before, and two doctors, one ending soon."""
    rng = random.Random(seed)
    doctors = [
        make_doctor(doctor_id=0, free_at=rng.randint(0, 10), session_end=rng.randint(10, 30)),
        make_doctor(doctor_id=1, free_at=rng.randint(0, 10), session_end=480),
    ]
    tickets = []
    for i in range(6):
        booked = rng.random() < 0.5
        eligible = (rng.randrange(2),) if booked else (0, 1)
        before = rng.random() < 0.5
        tickets.append(
            make_ticket(
                ticket_id=i,
                urgency=rng.choice(["routine", "routine", "urgent"]),
                arrived_at=-rng.randint(0, 40),
                appointment_at=rng.randrange(-30, 40, 5) if booked else None,
                eligible_doctor_ids=eligible,
                expected_duration_min=rng.randint(5, 20),
                previous_position=i if before else None,
                previous_doctor_id=eligible[0] if before else None,
            )
        )
    return make_services(tickets, doctors)


def line_cost(
    line: Sequence[WaitingTicket],
    doctor: DoctorAvailability,
    previous_rank: dict[int, int],
    policy: SolverPolicy,
) -> int:
    """Cost one doctor's line as docs/scheduling.md defines it, start by start (now is 0)."""
    weight = {"routine": policy.weight_routine, "urgent": policy.weight_urgent}
    start, cost = max(doctor.free_at, 0), 0
    for place, t in enumerate(line):
        # Late from the appointment, or for a walk-in from arrival plus the grace.
        due = t.appointment_at
        if due is None:
            due = t.arrived_at + policy.walk_in_grace_min
        cost += weight[t.urgency] * max(0, start - due)
        cost += policy.overtime_penalty * max(0, start - doctor.session_end)
        if t.ticket_id in previous_rank:
            cost += policy.disruption_penalty * max(0, place - previous_rank[t.ticket_id])
        start += t.expected_duration_min
    return cost


def ranks_before(state: QueueState) -> dict[int, int]:
    """Return each patient's place among those still waiting on their previous doctor."""
    lines: dict[int, list[WaitingTicket]] = {}
    for t in state.tickets:
        if t.previous_doctor_id is not None:
            lines.setdefault(t.previous_doctor_id, []).append(t)
    return {
        t.ticket_id: rank
        for line in lines.values()
        for rank, t in enumerate(sorted(line, key=lambda t: t.previous_position or 0))
    }


def brute_force_optimum(state: QueueState, policy: SolverPolicy) -> int:
    """Try every doctor for every patient and every order of every line; return the least cost."""
    doctors = {d.doctor_id: d for d in state.doctors}
    before = ranks_before(state)
    best = None
    for choice in itertools.product(*(t.eligible_doctor_ids for t in state.tickets)):
        total = 0
        for doctor_id, doctor in doctors.items():
            mine = [t for t, d in zip(state.tickets, choice, strict=True) if d == doctor_id]
            total += min(
                line_cost(order, doctor, before, policy) for order in itertools.permutations(mine)
            )
        best = total if best is None else min(best, total)
    assert best is not None
    return best


def plan_lines(plan: Plan, state: QueueState) -> dict[int, list[WaitingTicket]]:
    """Return each doctor's line as the plan orders it."""
    tickets = {t.ticket_id: t for t in state.tickets}
    return {
        d.doctor_id: [
            tickets[e.ticket_id]
            for e in sorted(plan.entries, key=lambda e: e.position)
            if e.doctor_id == d.doctor_id
        ]
        for d in state.doctors
    }


@pytest.mark.parametrize("seed", range(12))
def test_cpsat_finds_the_brute_force_optimum_and_costs_what_it_claims(seed: int) -> None:
    state = small_queue(seed)
    # Every patient may go to either doctor they are eligible for; nobody's place is capped.
    policy = fast_policy(max_doctor_options=2, max_moveback=10, relative_gap_limit=0.0)

    plan = resequence(state, policy, seed=seed)

    doctors = {d.doctor_id: d for d in state.doctors}
    before = ranks_before(state)
    claimed = sum(
        line_cost(line, doctors[d], before, policy) for d, line in plan_lines(plan, state).items()
    )
    assert plan.stats.status == "optimal"
    assert plan.stats.objective == claimed == brute_force_optimum(state, policy)


def test_same_seed_gives_the_same_plan() -> None:
    state = random_queue(7, tickets=40, doctors=4)
    policy = fast_policy(deterministic=True)

    first = resequence(state, policy, seed=3)
    second = resequence(state, policy, seed=3)

    assert first.entries == second.entries


def test_plan_carries_the_state_version_and_etas() -> None:
    doctor = make_doctor(free_at=15)
    services = make_services(
        [make_ticket(ticket_id=1, expected_duration_min=12)], [doctor], now_min=5, state_version=42
    )

    plan = resequence(services, fast_policy())

    (entry,) = plan.entries
    assert plan.state_version == 42
    assert (entry.start_min, entry.end_min, entry.eta_wait_min) == (15, 27, 10)


def test_walk_in_moves_to_an_idle_doctor_when_offered_more_than_one() -> None:
    busy, idle = make_doctor(doctor_id=1), make_doctor(doctor_id=2, free_at=0)
    queue = [make_ticket(ticket_id=k, previous_position=k, previous_doctor_id=1) for k in range(3)]
    walk_in = make_ticket(
        ticket_id=9, eligible_doctor_ids=(1, 2), previous_position=3, previous_doctor_id=1
    )
    services = make_services([*queue, walk_in], [busy, idle])

    kept = resequence(services, fast_policy())
    freed = resequence(services, fast_policy(max_doctor_options=2))

    assert kept.entry(9).doctor_id == 1  # type: ignore[union-attr]
    assert freed.entry(9).doctor_id == 2  # type: ignore[union-attr]
    assert freed.stats.objective < kept.stats.objective
