"""Re-sequencing with CP-SAT: hand-checked optima and the rules patients notice."""

import pytest

from server.solver import greedy_plan, resequence, with_previous
from server.solver.plans import plan_cost
from server.solver.sequencing import prepare
from tests.solver.factories import (
    fast_policy,
    make_doctor,
    make_state,
    make_ticket,
    random_queue,
)


def test_short_consultation_goes_first_when_both_are_equally_late() -> None:
    # Both arrived at 0: long first costs 0 + 30, short first costs 0 + 10.
    long_one = make_ticket(ticket_id=1, expected_duration_min=30)
    short_one = make_ticket(ticket_id=2, expected_duration_min=10)

    plan = resequence(make_state([long_one, short_one]), fast_policy())

    assert [e.ticket_id for e in plan.entries] == [2, 1]
    assert plan.source == "cpsat" and plan.stats.status == "optimal"
    assert plan.stats.objective == 10


def test_urgent_minute_counts_three_times() -> None:
    # routine 10 min then urgent: 3 * 10 = 30; urgent 20 min then routine: 20 -> urgent first.
    routine = make_ticket(ticket_id=1, expected_duration_min=10, arrived_at=-30)
    urgent = make_ticket(ticket_id=2, urgency="urgent", expected_duration_min=20)

    plan = resequence(make_state([routine, urgent]), fast_policy())

    assert [e.ticket_id for e in plan.entries] == [2, 1]
    assert plan.stats.objective == 30 + 20


def test_patient_with_a_later_appointment_waits_for_the_one_due_now() -> None:
    later = make_ticket(ticket_id=1, appointment_at=40, arrived_at=-10)
    now_due = make_ticket(ticket_id=2, appointment_at=0, arrived_at=-5)

    plan = resequence(make_state([later, now_due]), fast_policy())

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
    state = make_state(tickets, list(first.doctors), state_version=2)

    plan = resequence(state, policy, seed=seed)

    prep = prepare(state)
    for t in prep.others:
        e = plan.entry(t.ticket_id)
        assert e is not None
        rank = prep.previous_rank[t.ticket_id]
        if rank is not None:
            assert e.position - rank <= policy.max_moveback + prep.new_emergencies[e.doctor_id]


@pytest.mark.parametrize("seed", range(3))
def test_cpsat_plan_is_never_worse_than_greedy_and_costs_what_it_claims(seed: int) -> None:
    state = random_queue(seed, tickets=40, doctors=4)
    policy = fast_policy()

    greedy = greedy_plan(state, policy)
    plan = resequence(state, policy, seed=seed)

    assert plan.stats.objective <= greedy.stats.objective
    assert plan.stats.objective == plan_cost(prepare(state), plan, policy)
    assert plan.stats.bound <= plan.stats.objective
    assert sorted(e.ticket_id for e in plan.entries) == sorted(t.ticket_id for t in state.tickets)


def test_same_seed_gives_the_same_plan() -> None:
    state = random_queue(7, tickets=40, doctors=4)
    policy = fast_policy(deterministic=True)

    first = resequence(state, policy, seed=3)
    second = resequence(state, policy, seed=3)

    assert first.entries == second.entries


def test_plan_carries_the_state_version_and_etas() -> None:
    doctor = make_doctor(free_at=15)
    state = make_state(
        [make_ticket(ticket_id=1, expected_duration_min=12)], [doctor], now_min=5, state_version=42
    )

    plan = resequence(state, fast_policy())

    (entry,) = plan.entries
    assert plan.state_version == 42
    assert (entry.start_min, entry.end_min, entry.eta_wait_min) == (15, 27, 10)


def test_walk_in_moves_to_an_idle_doctor_when_offered_more_than_one() -> None:
    busy, idle = make_doctor(doctor_id=1), make_doctor(doctor_id=2, free_at=0)
    queue = [make_ticket(ticket_id=k, previous_position=k, previous_doctor_id=1) for k in range(3)]
    walk_in = make_ticket(
        ticket_id=9, eligible_doctor_ids=(1, 2), previous_position=3, previous_doctor_id=1
    )
    state = make_state([*queue, walk_in], [busy, idle])

    kept = resequence(state, fast_policy())
    freed = resequence(state, fast_policy(max_doctor_options=2))

    assert kept.entry(9).doctor_id == 1  # type: ignore[union-attr]
    assert freed.entry(9).doctor_id == 2  # type: ignore[union-attr]
    assert freed.stats.objective < kept.stats.objective
