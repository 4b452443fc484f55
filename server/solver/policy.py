"""Tunable settings of both scheduling models, with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass

from server.solver.types import SlotSpec, Urgency

# Show probabilities and expected arrivals are counted in thousandths of a patient,
# because CP-SAT only takes integer coefficients.
PROB_SCALE = 1000


@dataclass(frozen=True, slots=True)
class SolverPolicy:
    """Every knob of allocation, overbooking and re-sequencing, in one place."""

    # --- urgency weights (both models): how much more an urgent minute or booking counts.
    weight_routine: int = 1
    weight_urgent: int = 3
    weight_emergency: int = 10

    # --- allocation value: one booked routine request is worth `assign_value`.
    assign_value: int = 100
    preferred_doctor_bonus: int = 20

    # --- overbooking: alpha_k = alpha_start + alpha_step * k for the k-th slot of a session,
    # so overbooking lands early, where later no-shows can absorb the extra wait.
    alpha_start: int = 40
    alpha_step: int = 5
    # A slot holds at most capacity + max_overbook_per_slot bookings (hard cap).
    max_overbook_per_slot: int = 1
    # Expected arrivals may exceed capacity by at most this many patients.
    max_expected_excess: float = 0.3

    # Slots whose possible sets of new bookings number more than this are modelled
    # with a knapsack row instead of enumerated sets (weaker, but bounded in size).
    max_bundles_per_slot: int = 5000

    # --- re-sequencing: cost of one place a patient is moved back, in the same units
    # as one routine patient-minute of lateness.
    disruption_penalty: int = 10
    # K: a non-emergency ticket is never moved back more than this many places,
    # except by emergencies newly placed ahead of it.
    max_moveback: int = 3
    # Walk-ins count as late from arrival plus this many minutes.
    walk_in_grace_min: int = 0
    # Cost of each minute a patient is planned to start after the doctor's session end.
    overtime_penalty: int = 2
    # Priority categories: P, the most patients of a priority category who came later that
    # may be ahead of anyone at any time (each pass is excused from K, but only P of them);
    # and the cost of each minute a priority patient starts beyond their maximum wait.
    max_priority_passes: int = 3
    overdue_penalty: int = 20

    # A ticket any of many doctors may see is offered to at most this many in CP-SAT:
    # its previous doctor, the greedy plan's, then the least loaded.
    max_doctor_options: int = 1
    # The CP-SAT plan replaces the greedy one only when it costs at least this much less:
    # max(min_improvement, min_improvement_ratio x the greedy cost). Smaller gains are not
    # worth moving anyone.
    min_improvement: int = 0
    min_improvement_ratio: float = 0.0

    # --- solver: CP-SAT settings. Time limits are wall budgets that include building
    # the model, so a caller waits at most this long.
    resequence_time_limit_s: float = 1.0
    allocation_time_limit_s: float = 5.0
    relative_gap_limit: float = 0.01
    num_workers: int = 2
    random_seed: int = 0
    # True: one worker limited by deterministic time, so a fixed seed gives the same
    # plan; False: `num_workers` workers limited by wall time only.
    deterministic: bool = True
    deterministic_time_limit: float = 2.0

    def weight(self, urgency: Urgency) -> int:
        """Return the integer weight of an urgency class."""
        if urgency == "emergency":
            return self.weight_emergency
        return self.weight_urgent if urgency == "urgent" else self.weight_routine

    def alpha(self, slot: SlotSpec) -> int:
        """Return alpha_k, the penalty per expected extra patient in this slot."""
        if slot.alpha is not None:
            return slot.alpha
        return self.alpha_start + self.alpha_step * slot.index_in_session

    def max_bookings(self, slot: SlotSpec) -> int:
        """Return the hard cap on bookings in this slot."""
        if slot.max_bookings is not None:
            return slot.max_bookings
        return slot.capacity + self.max_overbook_per_slot

    def max_expected_milli(self, slot: SlotSpec) -> int:
        """Return the most expected arrivals the slot may hold, in thousandths."""
        return slot.capacity * PROB_SCALE + round(self.max_expected_excess * PROB_SCALE)


def scale_prob(p: float) -> int:
    """Return a probability as an integer number of thousandths, clamped to [0, 1]."""
    return round(min(1.0, max(0.0, p)) * PROB_SCALE)
