"""Booking-time overbooking check: what staff see when they book into a full slot."""

from server.solver import SolverPolicy, overbook_decision
from tests.solver.factories import make_slot

POLICY = SolverPolicy()  # capacity + 1 bookings, expected arrivals up to capacity + 0.3


def test_booking_within_capacity_is_plainly_accepted() -> None:
    decision = overbook_decision(make_slot(capacity=2), [0.9], 0.8, POLICY)

    assert decision.allowed and not decision.overbooked
    assert decision.expected_arrivals == 1.7
    assert "within capacity" in decision.reason


def test_overbooking_is_accepted_while_expected_arrivals_stay_low() -> None:
    decision = overbook_decision(make_slot(capacity=1), [0.6], 0.65, POLICY)

    assert decision.allowed and decision.overbooked
    assert decision.expected_arrivals == 1.25
    assert "overbooked" in decision.reason and "1.25 expected" in decision.reason


def test_overbooking_is_refused_when_expected_arrivals_would_be_too_high() -> None:
    decision = overbook_decision(make_slot(capacity=1), [0.9], 0.6, POLICY)

    assert not decision.allowed and decision.overbooked
    assert "1.50" in decision.reason and "1.30" in decision.reason


def test_hard_cap_refuses_even_unlikely_patients() -> None:
    decision = overbook_decision(make_slot(capacity=1), [0.1, 0.1], 0.1, POLICY)

    assert not decision.allowed
    assert "slot full" in decision.reason


def test_slot_overrides_of_the_cap_win_over_the_policy() -> None:
    slot = make_slot(capacity=1, max_bookings=3)

    assert overbook_decision(slot, [0.3, 0.3], 0.3, POLICY).allowed
    assert not overbook_decision(slot, [0.3, 0.3, 0.3], 0.1, POLICY).allowed
