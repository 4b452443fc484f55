"""Plain input and output dataclasses of the scheduling core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Urgency = Literal["routine", "urgent", "emergency"]
PlanSource = Literal["greedy", "cpsat"]
SolveStatus = Literal["optimal", "feasible", "infeasible", "unknown", "greedy"]

# Lower rank is served first.
URGENCY_RANK: dict[Urgency, int] = {"emergency": 0, "urgent": 1, "routine": 2}


@dataclass(frozen=True, slots=True)
class SolveStats:
    """What one solve achieved and how long it took."""

    status: SolveStatus
    objective: float
    bound: float
    first_s: float | None
    final_s: float
    seed: int | None = None

    @property
    def gap(self) -> float:
        """Return the relative gap between objective and bound (0 when proven optimal)."""
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


# ---------------------------------------------------------------- allocation


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A bookable slot of one doctor's session; minutes are relative to a reference."""

    slot_id: int
    doctor_id: int
    start_min: int
    capacity: int = 1
    # 0 for the session's first slot; drives the default growing alpha_k.
    index_in_session: int = 0
    # Show probabilities of the bookings the slot already holds.
    booked_show_probs: tuple[float, ...] = ()
    # Overrides of the policy for this slot (None: use the policy).
    alpha: int | None = None
    max_bookings: int | None = None


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """A patient asking for a slot; the window bounds the slot's start minute."""

    request_id: int
    urgency: Urgency
    show_prob: float
    eligible_doctor_ids: tuple[int, ...]
    window_start_min: int
    window_end_min: int
    preferred_doctor_id: int | None = None


@dataclass(frozen=True, slots=True)
class SlotLoad:
    """How full a slot is after allocation, and why it is overbooked if it is."""

    slot_id: int
    bookings: int
    capacity: int
    expected_arrivals: float
    overbooked: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """Request-to-slot assignment with per-slot loads and solve statistics."""

    assignments: dict[int, int]
    unassigned: tuple[int, ...]
    slot_loads: tuple[SlotLoad, ...]
    stats: SolveStats


@dataclass(frozen=True, slots=True)
class OverbookDecision:
    """Whether one more booking may go into a slot, and why."""

    allowed: bool
    overbooked: bool
    expected_arrivals: float
    reason: str


# ------------------------------------------------------------ re-sequencing


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """A ticket waiting in a department's queue; minutes are relative to a reference."""

    ticket_id: int
    urgency: Urgency
    arrived_at: int
    eligible_doctor_ids: tuple[int, ...]
    expected_duration_min: int
    appointment_at: int | None = None
    # Queue rank (0-based, per doctor) and doctor in the previous plan; None if new.
    previous_position: int | None = None
    previous_doctor_id: int | None = None
    pinned_doctor: int | None = None
    # A newcomer who may be placed ahead of patients already given a place (a returning
    # patient, an urgent one); everyone behind is told why their position rose.
    jumps: bool = False
    # Priority category chosen at check-in (aged 65+, pregnancy, ...), as data: how many
    # routine minutes one minute of this patient's lateness weighs (1: no category), and the
    # most they should wait from arrival (None: no limit).
    priority_weight: int = 1
    max_wait_min: int | None = None

    @property
    def due_min(self) -> int:
        """Return the minute lateness is measured from: the appointment, else arrival."""
        return self.appointment_at if self.appointment_at is not None else self.arrived_at

    @property
    def priority(self) -> bool:
        """Tell whether a priority category moves this patient up (a weight or a limit)."""
        return self.priority_weight > 1 or self.max_wait_min is not None

    @property
    def wait_deadline(self) -> int | None:
        """Return the minute this patient reaches their maximum wait (None: no limit)."""
        return None if self.max_wait_min is None else self.arrived_at + self.max_wait_min

    def candidate_doctors(self) -> tuple[int, ...]:
        """Return the doctors this ticket may be planned on."""
        if self.pinned_doctor is not None:
            return (self.pinned_doctor,)
        return self.eligible_doctor_ids


@dataclass(frozen=True, slots=True)
class DoctorAvailability:
    """When a doctor becomes free for the next patient, and when the session ends."""

    doctor_id: int
    free_at: int
    session_end: int


@dataclass(frozen=True, slots=True)
class QueueState:
    """Everything re-sequencing needs, stamped with the state version it was read at."""

    tickets: tuple[WaitingTicket, ...]
    doctors: tuple[DoctorAvailability, ...]
    now_min: int
    state_version: int


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One ticket's place: doctor, 0-based rank in that doctor's queue, start and wait."""

    ticket_id: int
    doctor_id: int
    position: int
    start_min: int
    end_min: int
    eta_wait_min: int


@dataclass(frozen=True, slots=True)
class Plan:
    """A queue plan for one department, valid only for the state version it came from."""

    state_version: int
    source: PlanSource
    entries: tuple[PlanEntry, ...]
    stats: SolveStats
    # Tickets that no available doctor can see (e.g. their only doctor left).
    unplaced: tuple[int, ...] = field(default=())

    def entry(self, ticket_id: int) -> PlanEntry | None:
        """Return the entry of a ticket, or None if the plan does not place it."""
        return next((e for e in self.entries if e.ticket_id == ticket_id), None)
