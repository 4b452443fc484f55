"""Shared rules of re-sequencing: emergency placement, previous ranks, move-back limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.solver.policy import SolverPolicy
from server.solver.types import (
    URGENCY_RANK,
    DoctorAvailability,
    QueueState,
    WaitingTicket,
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A queue state with emergencies placed and every ticket's limits worked out."""

    state: QueueState
    doctors: dict[int, DoctorAvailability]
    # Emergencies per doctor, in the order they go first.
    emergencies: dict[int, tuple[WaitingTicket, ...]]
    # Minute each doctor is free for non-emergencies (after now and its emergencies).
    base_free: dict[int, int]
    # Emergencies on each doctor that were not ahead there in the previous plan.
    new_emergencies: dict[int, int]
    # Non-emergency tickets that some available doctor can see, and their doctors.
    others: tuple[WaitingTicket, ...]
    candidates: dict[int, tuple[int, ...]]
    # Previous queue rank counting only tickets still waiting (None: no previous place).
    previous_rank: dict[int, int | None]
    unplaced: tuple[int, ...]
    # Newcomers that may go ahead of placed tickets (WaitingTicket.jumps, no previous rank).
    jumpers: frozenset[int] = frozenset()
    # Tickets with a priority category (a weight or a maximum wait).
    priority: frozenset[int] = frozenset()
    # Per ticket, the most later-arriving priority patients CP-SAT may put ahead of it:
    # P, or more where the greedy plan (its hint) already has more (set by `resequence`).
    pass_floor: dict[int, int] = field(default_factory=dict)

    def max_position(
        self, ticket: WaitingTicket, doctor_id: int, policy: SolverPolicy
    ) -> int | None:
        """Return the last queue position this ticket may take on this doctor (None: any).

        Jumpers placed ahead of the ticket add one place each (the caller counts them).
        """
        rank = self.previous_rank[ticket.ticket_id]
        if rank is None:
            return None
        return rank + policy.max_moveback + self.new_emergencies[doctor_id]

    def moved_back(
        self, ticket: WaitingTicket, doctor_id: int, position: int, jumped_ahead: int = 0
    ) -> int:
        """Return places moved back that no newly inserted emergency or jumper explains."""
        rank = self.previous_rank[ticket.ticket_id]
        if rank is None:
            return 0
        return max(0, position - rank - self.new_emergencies[doctor_id] - jumped_ahead)


def lateness_due(ticket: WaitingTicket, policy: SolverPolicy) -> int:
    """Return the minute lateness counts from: the appointment, else arrival plus grace."""
    if ticket.appointment_at is not None:
        return ticket.appointment_at
    return ticket.arrived_at + policy.walk_in_grace_min


def priority_key(ticket: WaitingTicket) -> tuple[int, int, int, int, int]:
    """Return the greedy order: urgency, priority weight, then appointment or arrival."""
    return (
        URGENCY_RANK[ticket.urgency],
        -ticket.priority_weight,
        ticket.due_min,
        ticket.arrived_at,
        ticket.ticket_id,
    )


def overtakes(passer: WaitingTicket, ticket: WaitingTicket) -> bool:
    """Tell whether `passer` ahead of `ticket` is a priority pass: it came later, no more urgent."""
    return (
        passer.priority
        and passer.ticket_id != ticket.ticket_id
        and ticket.urgency != "emergency"
        and passer.arrived_at > ticket.arrived_at
        and URGENCY_RANK[passer.urgency] >= URGENCY_RANK[ticket.urgency]
    )


def overtakers(ticket: WaitingTicket, ahead: Iterable[WaitingTicket]) -> int:
    """Count the priority patients among `ahead` who came after `ticket` (priority passes)."""
    return sum(1 for p in ahead if overtakes(p, ticket))


def was_ahead(prep: Prepared, passer: WaitingTicket, ticket: WaitingTicket) -> bool:
    """Tell whether `passer` was ahead of `ticket` in the previous plan, on the same doctor."""
    a, b = prep.previous_rank[passer.ticket_id], prep.previous_rank[ticket.ticket_id]
    return (
        a is not None
        and b is not None
        and passer.previous_doctor_id == ticket.previous_doctor_id
        and a < b
    )


def excuses(prep: Prepared, passer: WaitingTicket, ticket: WaitingTicket) -> bool:
    """Tell whether `passer` ahead of `ticket` explains a place it lost (jumper or priority)."""
    if passer.ticket_id == ticket.ticket_id:
        return False
    if passer.ticket_id in prep.jumpers:
        return True
    return passer.ticket_id in prep.priority and not was_ahead(prep, passer, ticket)


def prepare(state: QueueState) -> Prepared:
    """Place emergencies, then work out what constrains every other ticket."""
    doctors = {d.doctor_id: d for d in state.doctors}
    candidates: dict[int, tuple[int, ...]] = {}
    unplaced: list[int] = []
    for t in state.tickets:
        ok = tuple(d for d in dict.fromkeys(t.candidate_doctors()) if d in doctors)
        if ok:
            candidates[t.ticket_id] = ok
        else:
            unplaced.append(t.ticket_id)
    placeable = [t for t in state.tickets if t.ticket_id in candidates]
    emergencies = _place_emergencies(placeable, doctors, candidates, state.now_min)
    base_free = {
        d: max(a.free_at, state.now_min) + sum(e.expected_duration_min for e in emergencies[d])
        for d, a in doctors.items()
    }
    new_emergencies = {
        d: sum(1 for e in es if e.previous_doctor_id != d) for d, es in emergencies.items()
    }
    others = tuple(sorted((t for t in placeable if t.urgency != "emergency"), key=priority_key))
    previous_rank = _previous_ranks(state.tickets, candidates)
    return Prepared(
        state=state,
        doctors=doctors,
        emergencies=emergencies,
        base_free=base_free,
        new_emergencies=new_emergencies,
        others=others,
        candidates=candidates,
        previous_rank=previous_rank,
        unplaced=tuple(unplaced),
        jumpers=frozenset(
            t.ticket_id for t in others if t.jumps and previous_rank[t.ticket_id] is None
        ),
        priority=frozenset(t.ticket_id for t in others if t.priority),
    )


def _place_emergencies(
    tickets: list[WaitingTicket],
    doctors: dict[int, DoctorAvailability],
    candidates: dict[int, tuple[int, ...]],
    now_min: int,
) -> dict[int, tuple[WaitingTicket, ...]]:
    """Keep placed emergencies where they were; put new ones on the doctor free soonest."""
    free = {d: max(a.free_at, now_min) for d, a in doctors.items()}
    placed: dict[int, list[WaitingTicket]] = {d: [] for d in doctors}
    emergencies = [t for t in tickets if t.urgency == "emergency"]
    # Emergencies already in the plan keep their order; new ones follow by arrival.
    emergencies.sort(
        key=lambda t: (t.previous_position is None, t.previous_position or 0, t.arrived_at)
    )
    for e in emergencies:
        options = candidates[e.ticket_id]
        if e.previous_doctor_id in options:
            doctor = e.previous_doctor_id
        else:
            doctor = min(options, key=lambda d: (free[d], d))
        placed[doctor].append(e)
        free[doctor] += e.expected_duration_min
    return {d: tuple(es) for d, es in placed.items()}


def _previous_ranks(
    tickets: tuple[WaitingTicket, ...], candidates: dict[int, tuple[int, ...]]
) -> dict[int, int | None]:
    """Return each ticket's previous rank among the tickets still waiting on that doctor."""
    # Tickets that left (called, cancelled) no longer count as ahead: moving up
    # because they left is not a move.
    ranks: dict[int, int | None] = {t.ticket_id: None for t in tickets}
    queues: dict[int, list[tuple[int, int]]] = {}
    for t in tickets:
        # A ticket that can no longer stay with that doctor (transferred, pinned
        # elsewhere, doctor gone) has no previous place and is not ahead of anyone.
        doctor = t.previous_doctor_id
        if t.previous_position is not None and doctor in candidates.get(t.ticket_id, ()):
            queues.setdefault(doctor, []).append((t.previous_position, t.ticket_id))
    for queue in queues.values():
        for rank, (_, ticket_id) in enumerate(sorted(queue)):
            ranks[ticket_id] = rank
    return ranks
