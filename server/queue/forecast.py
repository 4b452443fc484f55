"""A doctor's clock: when they are next free and how long their consultations take.

Who is seen by whom and when is the plan's answer (server/scheduling/planning.py), never a
screen's own sort.
"""

from __future__ import annotations

from dataclasses import dataclass


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
