"""Stable plans: nobody moves back without a reason, and CP-SAT must earn its changes."""

from dataclasses import replace

import pytest

from server.solver import greedy_plan, improves, resequence, with_previous
from server.solver.plans import plan_cost
from server.solver.sequencing import prepare
from server.solver.types import Plan, QueueState
from tests.solver.factories import fast_policy, make_services, make_ticket, random_queue

STABLE = fast_policy(max_moveback=0, max_doctor_options=2)


def line(plan: Plan, doctor_id: int = 1) -> list[int]:
    return [
        e.ticket_id
        for e in sorted(plan.entries, key=lambda e: e.position)
        if e.doctor_id == doctor_id
    ]


def test_a_newcomer_due_earlier_goes_behind_the_patients_already_placed() -> None:
    placed = [make_ticket(ticket_id=i, arrived_at=i) for i in (1, 2)]
    first = greedy_plan(make_services(placed), STABLE)
    # A booked patient checks in, due before both: under K = 0 nobody already told a
    # place moves back for them.
    booked = make_ticket(ticket_id=3, appointment_at=-30, arrived_at=5)
    services = make_services(with_previous([*placed, booked], first))
    assert line(greedy_plan(services, STABLE)) == [1, 2, 3]
    assert line(resequence(services, STABLE)) == [1, 2, 3]


def test_a_returning_patient_jumps_ahead_by_their_first_arrival() -> None:
    placed = [make_ticket(ticket_id=i, arrived_at=i * 10) for i in (1, 2, 3)]
    first = greedy_plan(make_services(placed), STABLE)
    back = make_ticket(ticket_id=4, arrived_at=15, jumps=True)
    services = make_services(with_previous([*placed, back], first))
    greedy = greedy_plan(services, STABLE)
    assert line(greedy) == [1, 4, 2, 3]
    # The jump explains the place the others lose: no disruption is charged for it.
    prep = prepare(services)
    assert prep.jumpers == {4}
    assert all(
        prep.moved_back(t, 1, e.position, 1) == 0 for t, e in [(placed[1], greedy.entries[2])]
    )
    assert line(resequence(services, STABLE)) == [1, 4, 2, 3]


def test_a_jumper_with_no_better_claim_waits_its_turn() -> None:
    placed = [make_ticket(ticket_id=i, arrived_at=i) for i in (1, 2)]
    first = greedy_plan(make_services(placed), STABLE)
    back = make_ticket(ticket_id=3, arrived_at=50, jumps=True)
    services = make_services(with_previous([*placed, back], first))
    assert line(greedy_plan(services, STABLE)) == [1, 2, 3]


@pytest.mark.parametrize("seed", range(4))
def test_with_k_zero_nobody_moves_back_but_for_new_emergencies_and_jumpers(seed: int) -> None:
    state = random_queue(seed)
    before = resequence(state, STABLE, seed=seed)
    # Some tickets leave, a returning patient and an urgent walk-in arrive.
    gone = {t.ticket_id for t in state.tickets[::5]}
    stay = [t for t in state.tickets if t.ticket_id not in gone]
    extra = [
        make_ticket(ticket_id=900, arrived_at=-60, jumps=True, eligible_doctor_ids=(0, 1, 2)),
        make_ticket(ticket_id=901, urgency="urgent", jumps=True, eligible_doctor_ids=(0, 1, 2)),
    ]
    after = QueueState(
        tuple(with_previous([*stay, *extra], before)), state.doctors, state.now_min + 5, 1
    )
    prep = prepare(after)
    for plan in (greedy_plan(after, STABLE), resequence(after, STABLE, seed=seed)):
        for e in plan.entries:
            t = next(t for t in after.tickets if t.ticket_id == e.ticket_id)
            if t.urgency == "emergency":
                continue
            jumped = sum(
                1
                for o in plan.entries
                if o.doctor_id == e.doctor_id
                and o.position < e.position
                and o.ticket_id in prep.jumpers
            )
            assert prep.moved_back(t, e.doctor_id, e.position, jumped) == 0, plan.source


def test_cp_sat_replaces_the_greedy_plan_only_past_the_margin() -> None:
    greedy = greedy_plan(make_services([make_ticket(ticket_id=1)]), STABLE)
    cheaper = replace(greedy, source="cpsat", stats=replace(greedy.stats, objective=90.0))
    base = replace(greedy, stats=replace(greedy.stats, objective=100.0))
    assert improves(base, cheaper, fast_policy())
    assert not improves(base, cheaper, fast_policy(min_improvement=15))
    assert not improves(base, cheaper, fast_policy(min_improvement_ratio=0.2))
    assert improves(base, cheaper, fast_policy(min_improvement=10, min_improvement_ratio=0.1))
    assert not improves(base, base, fast_policy())


def test_the_greedy_plan_is_cp_sats_starting_point_and_costs_the_same() -> None:
    state = random_queue(7)
    greedy = greedy_plan(state, STABLE)
    best = resequence(state, STABLE, seed=0)
    # Same cost function for both, and CP-SAT never returns worse than its hint.
    assert plan_cost(prepare(state), greedy, STABLE) == greedy.stats.objective
    assert best.stats.objective <= greedy.stats.objective
