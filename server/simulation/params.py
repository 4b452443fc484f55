"""What the appointment data does not record, as parameters with documented defaults.

Every default was fixed before any policy was compared and is never tuned to flatter one.
The sources are in `docs/simulation.md` ("Parameters"); a short reason stands beside each.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import time
from typing import Any


@dataclass(frozen=True, slots=True)
class Parameters:
    """How patients, doctors and the clinic behave where the data is silent."""

    # The clinic's day. Vitória's bookings are made from 06:00 (ScheduledDay hours), so the
    # units open at 07:00; a doctor's full session is 8 hours of 15-minute slots.
    open_at: time = time(7, 0)
    slot_minutes: int = 15
    full_session_slots: int = 32
    # Consultations: lognormal, mean 15 min (= the slot, as appointment systems are usually
    # set up) and coefficient of variation 0.5 (reviews report 0.35-0.85).
    consult_mean_min: float = 15.0
    consult_cv: float = 0.5
    consult_min_min: float = 2.0
    # Punctuality: minutes after the appointment a patient who comes arrives; normal, most
    # patients early (reviews: a mean early arrival of minutes to tens of minutes).
    punctuality_mean_min: float = -10.0
    punctuality_sd_min: float = 15.0
    # A same-day booking asks for a slot at least this long after it is made.
    same_day_notice_min: int = 30
    # Walk-ins per 100 booking requests of a department-day, Poisson, arriving uniformly over
    # the first three quarters of the opening hours.
    walk_ins_per_100_requests: float = 5.0
    walk_in_window_share: float = 0.75
    # Emergencies per 100 booking requests of a department-day, uniform over the opening
    # hours; their consultations are longer (mean 25 min, same CV).
    emergencies_per_100_requests: float = 1.0
    emergency_consult_mean_min: float = 25.0
    # Doctors: with this probability a doctor starts late, by an exponential amount (mean);
    # lateness over `delay_report_min` is reported as a session delay (the real action).
    doctor_late_probability: float = 0.3
    doctor_late_mean_min: float = 12.0
    delay_report_min: int = 10
    # A patient called who does not come in this long is skipped (they were never there).
    call_timeout_min: float = 2.0

    def replace(self, **changes: Any) -> Parameters:
        """Return a copy with some fields changed."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Parameters(**values)

    def as_dict(self) -> dict[str, Any]:
        """Return the parameters as plain JSON-ready values."""
        return {
            f.name: (v.isoformat() if isinstance(v := getattr(self, f.name), time) else v)
            for f in fields(self)
        }


DEFAULTS = Parameters()
