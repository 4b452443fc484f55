"""Priority categories in both planners: weights and maximum waits move patients up, within
the move-back limit K and the priority passes P, and emergencies stay first."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from server.solver import greedy_plan, resequence, with_previous
from server.solver.plans import jumpers_ahead
from server.solver.sequencing import overtakers, prepare
from server.solver.types import Plan, QueueState, WaitingTicket
from tests.solver import baseline_plans
from tests.solver.factories import fast_policy, make_services, make_ticket, random_queue

STABLE = fast_policy(max_moveback=0, max_doctor_options=2)
PRIORITY = {"priority_weight": 2}


def line(plan: Plan, doctor_id: int = 1) -> list[int]:
    return [
        e.ticket_id
        for e in sorted(plan.entries, key=lambda e: e.position)
        if e.doctor_id == doctor_id
    ]


def placed_line(*ids: int) -> tuple[list[WaitingTicket], Plan]:
    """Routine walk-ins who arrived 10 minutes apart, planned in that order."""
    tickets = [make_ticket(ticket_id=i, arrived_at=-60 + 10 * i) for i in ids]
    return tickets, greedy_plan(make_services(tickets), STABLE)


def test_a_weight_puts_a_later_patient_first_where_without_it_they_wait_their_turn() -> None:
    tickets = [make_ticket(ticket_id=i, arrived_at=-30 + i) for i in (1, 2, 3)]
    later = make_ticket(ticket_id=4, arrived_at=-25)
    assert line(greedy_plan(make_services([*tickets, later]), fast_policy())) == [1, 2, 3, 4]
    weighted = make_services([*tickets, replace(later, priority_weight=3)])
    assert line(greedy_plan(weighted, fast_policy())) == [4, 1, 2, 3]
    # CP-SAT: each of their minutes weighs three, so they go first (the rest tie).
    assert line(resequence(weighted, fast_policy()))[0] == 4


def test_priority_newcomers_pass_a_placed_patient_at_most_p_times() -> None:
    placed, first = placed_line(1, 2, 3, 4, 5)
    newcomers = [make_ticket(ticket_id=10 + k, arrived_at=k, **PRIORITY) for k in range(4)]
    services = make_services(with_previous([*placed, *newcomers], first))
    # K = 0: nobody moves back but for these passes; P = 3: the fourth waits behind them all.
    assert line(greedy_plan(services, STABLE)) == [10, 11, 12, 1, 2, 3, 4, 5, 13]
    cpsat = resequence(services, STABLE)
    assert max(passes(services, cpsat).values()) <= STABLE.max_priority_passes
    assert set(line(cpsat)[:3]) < {10, 11, 12, 13}


def test_once_one_is_called_the_priority_patient_held_back_rises() -> None:
    placed, first = placed_line(1, 2, 3, 4, 5)
    newcomers = [make_ticket(ticket_id=10 + k, arrived_at=k, **PRIORITY) for k in range(4)]
    services = make_services(with_previous([*placed, *newcomers], first))
    planned = greedy_plan(services, STABLE)
    still = [t for t in services.tickets if t.ticket_id != 10]
    after = make_services(with_previous(still, planned), now_min=10)
    assert line(greedy_plan(after, STABLE)) == [11, 12, 13, 1, 2, 3, 4, 5]


def test_with_p_zero_a_priority_newcomer_passes_nobody() -> None:
    placed, first = placed_line(1, 2, 3)
    services = make_services(with_previous([*placed, make_ticket(ticket_id=9, **PRIORITY)], first))
    strict = replace(STABLE, max_priority_passes=0)
    assert line(greedy_plan(services, strict)) == [1, 2, 3, 9]
    assert line(resequence(services, strict)) == [1, 2, 3, 9]


def test_a_patient_near_their_maximum_wait_rises() -> None:
    placed, first = placed_line(1, 2, 3)
    # Came last, weight 1, but must be seen within 15 minutes of arriving (minute 0).
    limited = make_ticket(ticket_id=9, arrived_at=0, max_wait_min=15)
    plain = make_ticket(ticket_id=9, arrived_at=0)
    assert line(greedy_plan(make_services(with_previous([*placed, plain], first)), STABLE)) == [
        1,
        2,
        3,
        9,
    ]
    services = make_services(with_previous([*placed, limited], first))
    # Behind ticket 1 they start at 10; behind ticket 2 they would start at 20, past 15.
    assert line(greedy_plan(services, STABLE)) == [1, 9, 2, 3]
    cpsat = resequence(services, STABLE)
    entry = cpsat.entry(9)
    assert entry is not None and entry.start_min <= 15
    assert line(cpsat).index(9) < line(cpsat).index(2)


def test_an_emergency_stays_ahead_of_every_priority_patient() -> None:
    placed, first = placed_line(1, 2)
    heavy = make_ticket(ticket_id=8, arrived_at=-90, priority_weight=10, max_wait_min=1)
    emergency = make_ticket(ticket_id=9, urgency="emergency", arrived_at=0)
    services = make_services(with_previous([*placed, heavy, emergency], first))
    for plan in (greedy_plan(services, STABLE), resequence(services, STABLE)):
        assert line(plan)[0] == 9


def passes(state: QueueState, plan: Plan) -> dict[int, int]:
    """Return, per ticket, how many later priority arrivals the plan puts ahead of it."""
    tickets = {t.ticket_id: t for t in state.tickets}
    out: dict[int, int] = {}
    for e in plan.entries:
        ahead = [
            tickets[o.ticket_id]
            for o in plan.entries
            if o.doctor_id == e.doctor_id and o.position < e.position
        ]
        out[e.ticket_id] = overtakers(tickets[e.ticket_id], ahead)
    return out


def with_categories(state: QueueState, seed: int) -> QueueState:
    """Give about a third of the tickets a priority category (a weight, a maximum wait)."""
    rng = random.Random(seed)
    tickets = []
    for t in state.tickets:
        if rng.random() < 0.35:
            t = replace(
                t, priority_weight=rng.choice([1, 2, 3, 5]), max_wait_min=rng.choice([None, 20, 45])
            )
        tickets.append(t)
    return replace(state, tickets=tuple(tickets))


@pytest.mark.parametrize("seed", range(4))
def test_on_random_queues_the_move_back_limit_p_and_emergencies_hold(seed: int) -> None:
    state = with_categories(random_queue(seed), seed)
    before = resequence(state, STABLE, seed=seed)
    gone = {t.ticket_id for t in state.tickets[::5]}
    stay = [t for t in state.tickets if t.ticket_id not in gone]
    extra = [
        make_ticket(ticket_id=900 + k, arrived_at=k, eligible_doctor_ids=(0, 1, 2), **PRIORITY)
        for k in range(5)
    ]
    after = QueueState(
        tuple(with_previous([*stay, *extra], before)), state.doctors, state.now_min + 5, 2
    )
    prep = prepare(after)
    tickets = {t.ticket_id: t for t in after.tickets}
    for plan in (greedy_plan(after, STABLE), resequence(after, STABLE, seed=seed)):
        # Nobody is passed by more than P later arrivals of a priority category.
        assert max(passes(after, plan).values()) <= STABLE.max_priority_passes, plan.source
        for e in plan.entries:
            t = tickets[e.ticket_id]
            ahead = [
                o for o in plan.entries if o.doctor_id == e.doctor_id and o.position < e.position
            ]
            if t.urgency == "emergency":
                # Emergencies first, whatever the weights.
                assert all(tickets[o.ticket_id].urgency == "emergency" for o in ahead)
                continue
            # K = 0: a place is lost only to a new emergency, a jumper or a priority pass.
            excused = jumpers_ahead(prep, plan, e)
            assert prep.moved_back(t, e.doctor_id, e.position, excused) == 0, plan.source


def test_a_day_without_categories_gives_exactly_the_plans_of_before() -> None:
    recorded = json.loads(baseline_plans.GOLDEN.read_text())
    assert baseline_plans.cases() == recorded
