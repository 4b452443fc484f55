"""Queue order, positions and wait estimates: pure functions over plain entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Urgency(StrEnum):
    """How soon a patient must be seen."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """What ordering needs to know of one waiting ticket."""

    ticket_id: int
    urgency: Urgency
    arrived_at: datetime
    scheduled_at: datetime | None = None  # booked patients keep their appointment time
    plan_rank: int | None = None  # the scheduler's order, once it has one
    # The weight of the patient's priority category (1: none), as in the solver's plans.
    priority_weight: int = 1


def default_key(entry: QueueEntry) -> tuple[int, int, int, datetime, int]:
    """Sort key: urgency, the scheduler's plan, priority weight, then appointment or arrival."""
    reference = entry.scheduled_at or entry.arrived_at
    planned = entry.plan_rank if entry.plan_rank is not None else 1 << 30
    return (
        URGENCY_RANK[entry.urgency],
        planned,
        -entry.priority_weight,
        reference,
        entry.ticket_id,
    )


class QueueOrder(Protocol):
    """Anything that puts waiting tickets in the order they will be called."""

    def __call__(self, entries: Iterable[QueueEntry]) -> list[QueueEntry]: ...


def priority_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """Order by urgency, plan rank, priority weight, then appointment or arrival time."""
    return sorted(entries, key=default_key)


# A recorded length this many times above or below the doctor's median is a recording slip
# (a consultation left open, a start clicked by mistake), not a consultation.
SLIP_FACTOR = 5.0
# Fewer recent consultations than this: the clinic's default length is used instead.
MIN_RECENT = 3


def consultation_lengths(recent_minutes: Sequence[float]) -> list[float]:
    """Return the recent lengths that are plausible consultations, shortest first."""
    usable = sorted(m for m in recent_minutes if 0 < m < 240)
    if not usable:
        return []
    median = usable[len(usable) // 2]
    return [m for m in usable if median / SLIP_FACTOR <= m <= median * SLIP_FACTOR]


def expected_duration(recent_minutes: Sequence[float], default_min: float) -> float:
    """Estimate a consultation's length from a doctor's recent ones: their mean, slips dropped.

    A wait is a sum of consultations, so its forecast needs their mean. Trimming both ends
    of a right-skewed length distribution (or taking the median) biases it low: a 10 %
    trimmed mean of lognormal lengths with CV 0.5 is 5 % short. Only slips are dropped.
    """
    usable = consultation_lengths(recent_minutes)
    if len(usable) < MIN_RECENT:
        return default_min
    return float(sum(usable) / len(usable))


@dataclass(frozen=True, slots=True)
class Estimate:
    """A ticket's place in its queue and when it should be called."""

    ticket_id: int
    position: int  # 1 = next
    wait_min: float


def estimate_waits(
    ordered: Sequence[QueueEntry],
    per_patient_min: float,
    doctors: int = 1,
    busy_remaining_min: float = 0.0,
) -> list[Estimate]:
    """Give every ticket its position and estimated wait, several doctors sharing one queue."""
    doctors = max(doctors, 1)
    return [
        Estimate(
            ticket_id=entry.ticket_id,
            position=index + 1,
            wait_min=round(busy_remaining_min + (index // doctors) * per_patient_min, 1),
        )
        for index, entry in enumerate(ordered)
    ]


# Without enough recent consultations, an overrunning one is expected to go on for this share
# of a usual one more: the ETAs behind it keep moving later instead of stopping at "now".
OVERRUN_SHARE = 0.25
# The running consultation's forecast averages at least this many recent ones that lasted
# longer than it has so far; further out, the tail of the longest ones is used.
TAIL_MIN = 5


def remaining_minutes(
    started_at: datetime | None,
    now: datetime,
    per_patient_min: float,
    recent_minutes: Sequence[float] = (),
) -> float:
    """Estimate how long the doctor's current consultation still runs, given how long it has.

    The expectation of (length - elapsed) over the doctor's recent consultations that lasted
    longer than the elapsed time: one that has outlived the short ones is a long one, so
    "mean minus elapsed" would promise too little.
    """
    if started_at is None:
        return 0.0
    elapsed = (now - started_at) / timedelta(minutes=1)
    usable = consultation_lengths(recent_minutes)
    if len(usable) <= TAIL_MIN:
        return max(per_patient_min - elapsed, per_patient_min * OVERRUN_SHARE)
    longer = [m - elapsed for m in usable if m > elapsed]
    if len(longer) >= TAIL_MIN:
        return sum(longer) / len(longer)
    # Beyond what the recent ones cover: the mean overrun of the longest past the next one.
    edge = usable[-TAIL_MIN - 1]
    return sum(m - edge for m in usable[-TAIL_MIN:]) / TAIL_MIN
