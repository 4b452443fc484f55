"""Queue order, positions and wait estimates: pure functions over plain entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median
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


def default_key(entry: QueueEntry) -> tuple[int, int, datetime, int]:
    """Sort key: urgency, then the scheduler's plan, then appointment or arrival time."""
    reference = entry.scheduled_at or entry.arrived_at
    planned = entry.plan_rank if entry.plan_rank is not None else 1 << 30
    return (URGENCY_RANK[entry.urgency], planned, reference, entry.ticket_id)


class QueueOrder(Protocol):
    """Anything that puts waiting tickets in the order they will be called."""

    def __call__(self, entries: Iterable[QueueEntry]) -> list[QueueEntry]: ...


def priority_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """Order by urgency, plan rank, then appointment or arrival time."""
    return sorted(entries, key=default_key)


def expected_duration(recent_minutes: Sequence[float], default_min: float) -> float:
    """Estimate a consultation's length from a doctor's recent ones (median resists outliers)."""
    usable = [m for m in recent_minutes if 0 < m < 240]
    if len(usable) < 3:
        return default_min
    return float(median(usable))


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


# An overrunning consultation is expected to go on for this share of a usual one more: the
# ETAs behind it keep moving later as it runs long, instead of stopping at "now".
OVERRUN_SHARE = 0.25


def remaining_minutes(started_at: datetime | None, now: datetime, per_patient_min: float) -> float:
    """Estimate how long the doctor's current consultation still runs."""
    if started_at is None:
        return 0.0
    elapsed = (now - started_at) / timedelta(minutes=1)
    return max(per_patient_min - elapsed, per_patient_min * OVERRUN_SHARE)
