"""Allocation: small instances with optima computed by hand, and the caps as properties."""

import random

import pytest

from server.solver import (
    PROB_SCALE,
    SolverPolicy,
    allocate,
    allocation_value,
    greedy_allocation,
    greedy_result,
    overbook_decision,
)
from tests.solver.factories import make_request, make_slot


def _per_slot(assignments: dict[int, int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for slot_id in assignments.values():
        counts[slot_id] = counts.get(slot_id, 0) + 1
    return counts


def test_overbooking_lands_early_where_alpha_is_lowest() -> None:
    # Three patients at 0.6 into two one-patient slots: one slot takes two (expected 1.2,
    # 0.2 extra). alpha_0 = 40, alpha_1 = 45, so the early slot: 3 * 100 - 40 * 0.2 = 292.
    early = make_slot(index_in_session=0)
    late = make_slot(index_in_session=1, start_min=15)
    requests = [make_request(show_prob=0.6) for _ in range(3)]

    result = allocate([early, late], requests)

    assert _per_slot(result.assignments) == {early.slot_id: 2, late.slot_id: 1}
    assert result.stats.objective == pytest.approx(292.0)
    assert result.stats.status == "optimal"


def test_higher_alpha_moves_overbooking_to_the_cheaper_slot() -> None:
    early = make_slot(index_in_session=0, alpha=200)
    late = make_slot(index_in_session=1, start_min=15)
    requests = [make_request(show_prob=0.6) for _ in range(3)]

    result = allocate([early, late], requests)

    assert _per_slot(result.assignments) == {early.slot_id: 1, late.slot_id: 2}
    assert result.stats.objective == pytest.approx(300 - 45 * 0.2)


def test_overbooking_is_skipped_when_it_costs_more_than_it_gains() -> None:
    slot = make_slot(alpha=1000)  # 0.2 extra patients cost 200 > 100 gained
    requests = [make_request(show_prob=0.6) for _ in range(2)]

    result = allocate([slot], requests)

    assert len(result.assignments) == 1
    assert len(result.unassigned) == 1


def test_urgent_request_wins_the_last_place() -> None:
    slot = make_slot()
    routine = make_request(request_id=1)
    urgent = make_request(request_id=2, urgency="urgent")

    result = allocate([slot], [routine, urgent], SolverPolicy(max_overbook_per_slot=0))

    assert result.assignments == {2: slot.slot_id}


def test_preferred_doctor_gets_the_request_when_both_are_free() -> None:
    slots = [make_slot(doctor_id=1), make_slot(doctor_id=2)]
    request = make_request(eligible_doctor_ids=(1, 2), preferred_doctor_id=2)

    result = allocate(slots, [request])

    assert result.assignments == {request.request_id: slots[1].slot_id}


def test_requests_only_go_to_slots_in_their_window() -> None:
    slots = [make_slot(start_min=0), make_slot(start_min=60)]
    request = make_request(window_start_min=30, window_end_min=90)

    result = allocate(slots, [request])

    assert result.assignments == {request.request_id: slots[1].slot_id}


def test_existing_bookings_count_towards_the_limits() -> None:
    slot = make_slot(booked_show_probs=(0.9,))
    result = allocate([slot], [make_request(show_prob=0.6)])

    assert result.assignments == {}
    assert result.slot_loads[0].bookings == 1


def test_the_greedy_result_describes_its_slots_like_the_solver() -> None:
    # The fallback when CP-SAT finds nothing in time: same rules, loads for staff, its value.
    early = make_slot(index_in_session=0, booked_show_probs=(0.5,))
    late = make_slot(index_in_session=1, start_min=15, booked_show_probs=(0.9,))
    requests = [make_request(show_prob=0.7), make_request(show_prob=0.7)]

    result = greedy_result([early, late], requests)

    assert result.stats.status == "greedy"
    assert _per_slot(result.assignments) == {early.slot_id: 1}  # 0.9 + 0.7 passes 1.3
    assert [load.bookings for load in result.slot_loads] == [2, 1]
    assert result.slot_loads[0].expected_arrivals == pytest.approx(1.2)
    assert result.stats.objective == pytest.approx(100 - 40 * 0.2)


def test_staff_see_which_slots_are_overbooked_and_why() -> None:
    slot = make_slot()
    result = allocate([slot], [make_request(show_prob=0.6), make_request(show_prob=0.65)])

    (load,) = result.slot_loads
    assert load.overbooked and load.bookings == 2
    assert load.expected_arrivals == pytest.approx(1.25)
    assert "only 1.25 expected" in load.reason


@pytest.mark.parametrize("bundles", [5000, 0], ids=["bundles", "knapsack-rows"])
@pytest.mark.parametrize("seed", range(3))
def test_overbooking_never_passes_the_caps(seed: int, bundles: int) -> None:
    rng = random.Random(seed)
    policy = SolverPolicy(max_bundles_per_slot=bundles, allocation_time_limit_s=2.0)
    slots = [
        make_slot(doctor_id=d, start_min=15 * k, index_in_session=k)
        for d in (1, 2)
        for k in range(6)
    ]
    requests = [
        make_request(
            show_prob=round(rng.uniform(0.3, 0.95), 2),
            eligible_doctor_ids=(rng.choice((1, 2)),),
            window_start_min=15 * rng.randrange(3),
            window_end_min=15 * rng.randrange(3, 6),
            urgency=rng.choice(("routine", "urgent")),
        )
        for _ in range(24)
    ]

    result = allocate(slots, requests, policy, seed=seed)

    by_id = {r.request_id: r for r in requests}
    for s in slots:
        mine = [by_id[rid].show_prob for rid, sid in result.assignments.items() if sid == s.slot_id]
        assert len(mine) <= policy.max_bookings(s)
        # Booking them one by one passes the booking-time check too.
        for k in range(len(mine)):
            assert overbook_decision(s, mine[:k], mine[k], policy).allowed
    if bundles:
        assert result.stats.gap <= policy.relative_gap_limit
    greedy = greedy_allocation(slots, requests, policy)
    assert result.stats.objective >= allocation_value(slots, requests, greedy, policy) - 1e-6
    assert allocation_value(slots, requests, result.assignments, policy) == pytest.approx(
        result.stats.objective, abs=1 / PROB_SCALE
    )
