"""Factories for solver inputs: sensible defaults, override what the test is about."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from server.solver import (
    AllocationRequest,
    DoctorAvailability,
    QueueState,
    SlotSpec,
    SolverPolicy,
    WaitingTicket,
)

_ids = iter(range(1, 1_000_000))


def make_slot(**overrides: Any) -> SlotSpec:
    """Return a one-patient slot of doctor 1 at minute 0."""
    values: dict[str, Any] = {"slot_id": next(_ids), "doctor_id": 1, "start_min": 0}
    return SlotSpec(**(values | overrides))


def make_request(**overrides: Any) -> AllocationRequest:
    """Return a routine request for doctor 1, any time in the morning, sure to come."""
    values: dict[str, Any] = {
        "request_id": next(_ids),
        "urgency": "routine",
        "show_prob": 1.0,
        "eligible_doctor_ids": (1,),
        "window_start_min": 0,
        "window_end_min": 240,
    }
    return AllocationRequest(**(values | overrides))


def make_ticket(**overrides: Any) -> WaitingTicket:
    """Return a routine walk-in for doctor 1 who arrived at minute 0, 10 minutes long."""
    values: dict[str, Any] = {
        "ticket_id": next(_ids),
        "urgency": "routine",
        "arrived_at": 0,
        "eligible_doctor_ids": (1,),
        "expected_duration_min": 10,
    }
    return WaitingTicket(**(values | overrides))


def make_doctor(**overrides: Any) -> DoctorAvailability:
    """Return doctor 1, free now, with a long session."""
    values: dict[str, Any] = {"doctor_id": 1, "free_at": 0, "session_end": 480}
    return DoctorAvailability(**(values | overrides))


def make_services(
    tickets: list[WaitingTicket],
    doctors: list[DoctorAvailability] | None = None,
    **overrides: Any,
) -> QueueState:
    """Return a queue state at minute 0, version 1."""
    values: dict[str, Any] = {
        "tickets": tuple(tickets),
        "doctors": tuple(doctors or [make_doctor()]),
        "now_min": 0,
        "state_version": 1,
    }
    return QueueState(**(values | overrides))


def fast_policy(**overrides: Any) -> SolverPolicy:
    """Return the default policy with short, deterministic solves for tests."""
    return replace(SolverPolicy(resequence_time_limit_s=5.0), **overrides)


def random_queue(seed: int, tickets: int = 30, doctors: int = 3) -> QueueState:
    """Return a seeded department queue: booked, walk-in, urgent and emergency tickets."""
    rng = random.Random(seed)
    docs = [make_doctor(doctor_id=d, free_at=rng.randint(0, 10)) for d in range(doctors)]
    out = []
    for i in range(tickets):
        urgency = rng.choice(["routine"] * 6 + ["urgent"] * 2 + ["emergency"])
        booked = rng.random() < 0.6
        out.append(
            make_ticket(
                ticket_id=i,
                urgency=urgency,
                arrived_at=-rng.randint(0, 60),
                appointment_at=rng.randrange(-60, 90, 5) if booked else None,
                eligible_doctor_ids=(rng.randrange(doctors),) if booked else tuple(range(doctors)),
                expected_duration_min=rng.randint(5, 20),
            )
        )
    return make_services(out, docs)
