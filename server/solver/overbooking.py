"""Booking-time overbooking check: the same integer rule the allocation model uses."""

from __future__ import annotations

from collections.abc import Sequence

from server.solver.policy import PROB_SCALE, SolverPolicy, scale_prob
from server.solver.types import OverbookDecision, SlotLoad, SlotSpec


def expected_milli(show_probs: Sequence[float]) -> int:
    """Return expected arrivals in thousandths, summing the scaled probabilities."""
    # Scale each probability before summing, exactly as the CP-SAT model does.
    return sum(scale_prob(p) for p in show_probs)


def overbook_decision(
    slot: SlotSpec,
    existing_show_probs: Sequence[float],
    new_show_prob: float,
    policy: SolverPolicy,
) -> OverbookDecision:
    """Decide whether one more booking with this show probability fits the slot."""
    bookings = len(existing_show_probs) + 1
    milli = expected_milli(existing_show_probs) + scale_prob(new_show_prob)
    expected = milli / PROB_SCALE
    overbooked = bookings > slot.capacity
    cap = policy.max_bookings(slot)
    limit = policy.max_expected_milli(slot)
    if bookings > cap:
        reason = f"slot full: {bookings} bookings would pass the cap of {cap}"
        return OverbookDecision(False, overbooked, expected, reason)
    if overbooked and milli > limit:
        reason = (
            f"expected arrivals {expected:.2f} would pass the allowed "
            f"{limit / PROB_SCALE:.2f} for capacity {slot.capacity}"
        )
        return OverbookDecision(False, overbooked, expected, reason)
    reason = _accepted_reason(slot, bookings, expected, overbooked)
    return OverbookDecision(True, overbooked, expected, reason)


def slot_load(slot: SlotSpec, show_probs: Sequence[float]) -> SlotLoad:
    """Describe a slot holding bookings with these show probabilities."""
    bookings = len(show_probs)
    expected = expected_milli(show_probs) / PROB_SCALE
    overbooked = bookings > slot.capacity
    reason = _accepted_reason(slot, bookings, expected, overbooked) if bookings else "empty"
    return SlotLoad(slot.slot_id, bookings, slot.capacity, expected, overbooked, reason)


def _accepted_reason(slot: SlotSpec, bookings: int, expected: float, overbooked: bool) -> str:
    """Explain to staff why an accepted booking count is fine."""
    if not overbooked:
        return f"within capacity: {bookings} of {slot.capacity}"
    return (
        f"overbooked: {bookings} bookings for capacity {slot.capacity}, "
        f"but only {expected:.2f} expected to come"
    )
