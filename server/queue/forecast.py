"""Where each waiting ticket will be seen and when: a greedy dispatch over the doctors."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from server.queue.order import QueueEntry, priority_order


@dataclass(frozen=True, slots=True)
class DoctorClock:
    """When a doctor is next free, and how long their consultations take."""

    doctor_id: int
    free_in_min: float
    per_patient_min: float
    # Minutes from now until the doctor leaves early (None: no early close); from then on
    # they take no ticket from the shared queue.
    leaves_in_min: float | None = None

    def can_start(self, at_min: float) -> bool:
        """Tell whether the doctor is still there to start a patient at `at_min`."""
        return self.leaves_in_min is None or at_min < self.leaves_in_min


@dataclass(frozen=True, slots=True)
class Forecast:
    """A ticket's place: which doctor, how many ahead in that doctor's line, the wait."""

    ticket_id: int
    doctor_id: int | None
    position: int  # 1 = next to be called by that doctor
    wait_min: float | None


def forecast(
    entries: Sequence[QueueEntry],
    assigned: dict[int, int | None],
    doctors: Sequence[DoctorClock],
) -> list[Forecast]:
    """Dispatch tickets in call order: own doctor if assigned, else whoever is free first."""
    clocks = {d.doctor_id: d for d in doctors}
    free = {d.doctor_id: d.free_in_min for d in doctors}
    served = dict.fromkeys(free, 0)
    heap = [(d.free_in_min, d.doctor_id) for d in doctors]
    heapq.heapify(heap)
    result: list[Forecast] = []
    for entry in priority_order(entries):
        doctor_id = assigned.get(entry.ticket_id)
        # A doctor who already left no longer sees even their own patients.
        if doctor_id not in free or not clocks[doctor_id].can_start(0.0):
            doctor_id = _soonest(heap, free, clocks)
        if doctor_id is None:
            result.append(Forecast(entry.ticket_id, None, len(result) + 1, None))
            continue
        wait = free[doctor_id]
        served[doctor_id] += 1
        free[doctor_id] = wait + clocks[doctor_id].per_patient_min
        heapq.heappush(heap, (free[doctor_id], doctor_id))
        result.append(Forecast(entry.ticket_id, doctor_id, served[doctor_id], round(wait, 1)))
    return result


def _soonest(
    heap: list[tuple[float, int]], free: dict[int, float], clocks: dict[int, DoctorClock]
) -> int | None:
    # Entries go stale when a doctor's clock moves on, or when the doctor will have left by
    # then; skip them lazily.
    while heap:
        at, doctor_id = heap[0]
        if at == free[doctor_id] and clocks[doctor_id].can_start(at):
            return doctor_id
        heapq.heappop(heap)
    return None
