"""The sets of new bookings a slot may receive ("bundles"), with their exact value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

from server.solver.overbooking import expected_milli
from server.solver.policy import PROB_SCALE, SolverPolicy, scale_prob
from server.solver.types import AllocationRequest, SlotSpec


@dataclass(frozen=True, slots=True)
class Room:
    """What a slot can still take beyond its existing bookings."""

    bookings: int
    milli: int
    extra_bookings: int
    milli_limit: int

    @classmethod
    def of(cls, slot: SlotSpec, policy: SolverPolicy) -> Room:
        """Return the room left in a slot, given its existing bookings."""
        bookings = len(slot.booked_show_probs)
        extra = max(0, policy.max_bookings(slot) - bookings)
        milli = expected_milli(slot.booked_show_probs)
        return cls(bookings, milli, extra, policy.max_expected_milli(slot))

    def fits(self, slot: SlotSpec, count: int, milli: int) -> bool:
        """Return whether `count` more bookings with `milli` expected arrivals fit."""
        if count > self.extra_bookings:
            return False
        return self.bookings + count <= slot.capacity or self.milli + milli <= self.milli_limit


@dataclass(frozen=True, slots=True)
class Bundle:
    """New bookings for one slot and their objective coefficient (thousandths of value)."""

    slot_id: int
    request_ids: tuple[int, ...]
    coefficient: int


def bundle_count_bound(candidates: int, room: Room) -> int:
    """Return an upper bound on the number of bundles a slot can have."""
    return sum(comb(candidates, k) for k in range(1, room.extra_bookings + 1))


def slot_bundles(
    slot: SlotSpec,
    room: Room,
    candidates: Sequence[AllocationRequest],
    policy: SolverPolicy,
) -> Iterator[Bundle]:
    """Yield every feasible bundle of candidates for this slot."""
    probs = [scale_prob(r.show_prob) for r in candidates]
    values = [request_value(r, slot, policy) * PROB_SCALE for r in candidates]
    for k in range(1, room.extra_bookings + 1):
        for members in combinations(range(len(candidates)), k):
            milli = sum(probs[i] for i in members)
            if not room.fits(slot, k, milli):
                continue
            extra = overbook_extra(slot, room.milli + milli)
            coefficient = sum(values[i] for i in members) - policy.alpha(slot) * extra
            ids = tuple(sorted(candidates[i].request_id for i in members))
            yield Bundle(slot.slot_id, ids, coefficient)


def overbook_extra(slot: SlotSpec, milli: int) -> int:
    """Return expected patients beyond capacity, in thousandths."""
    return max(0, milli - slot.capacity * PROB_SCALE)


def request_value(request: AllocationRequest, slot: SlotSpec, policy: SolverPolicy) -> int:
    """Return the urgency-weighted value of booking this request into this slot."""
    bonus = policy.preferred_doctor_bonus if request.preferred_doctor_id == slot.doctor_id else 0
    return policy.weight(request.urgency) * (policy.assign_value + bonus)
