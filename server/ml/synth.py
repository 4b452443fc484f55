"""Synthetic appointment history whose no-shows follow a known model.

The true log-odds of a no-show are::

    B0 + B_LEAD * log1p(lead_days)
       + B_HISTORY * (earlier no-shows / earlier appointments, 0 without history)
       + B_YOUNG_ADULT [18 <= age < 36] + B_ELDERLY [age >= 65]
       + WEEKDAY_EFFECT[weekday] + B_REMINDER [reminder sent]

"Earlier" means on days strictly before the appointment, so the model's history features
can recover B_HISTORY. Nothing else (sex, conditions, time of day) has any effect.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from server.ml.features import ApptRecord

B0 = -2.0
B_LEAD = 0.45
B_HISTORY = 2.0
B_YOUNG_ADULT = 0.4
B_ELDERLY = -0.5
B_REMINDER = -0.4
# Monday to Sunday; clinics here open on weekdays only.
WEEKDAY_EFFECT = (0.3, 0.0, 0.0, 0.0, 0.2, 0.0, 0.0)

DEFAULT_START = date(2025, 1, 6)
DEPARTMENTS = ("general", "paediatrics", "cardiology", "dermatology")
_SAME_DAY_SHARE = 0.3
_MEAN_LEAD = 10.0
_MAX_LEAD = 90
_VISITS_PER_30_DAYS = 1.5


@dataclass(frozen=True, slots=True)
class _Patient:
    key: str
    age: int
    sex: str
    hypertension: bool
    diabetes: bool


def true_logit(lead: int, prior_rate: float, age: int, weekday: int, reminder: bool) -> float:
    """Return the generator's log-odds of a no-show."""
    return (
        B0
        + B_LEAD * math.log1p(lead)
        + B_HISTORY * prior_rate
        + B_YOUNG_ADULT * (18 <= age < 36)
        + B_ELDERLY * (age >= 65)
        + WEEKDAY_EFFECT[weekday]
        + B_REMINDER * reminder
    )


def _patient(i: int, rng: random.Random) -> _Patient:
    age = rng.randint(0, 95)
    return _Patient(
        key=f"P{i:06d}",
        age=age,
        sex=rng.choice("FM"),
        hypertension=age > 40 and rng.random() < 0.3,
        diabetes=age > 30 and rng.random() < 0.1,
    )


def _open_days(start: date, days: int) -> list[date]:
    return [d for d in (start + timedelta(n) for n in range(days)) if d.weekday() < 5]


def _booking(patient: _Patient, key: str, day: date, rng: random.Random) -> ApptRecord:
    lead = 0
    if rng.random() >= _SAME_DAY_SHARE:
        lead = min(_MAX_LEAD, 1 + int(rng.expovariate(1 / _MEAN_LEAD)))
    booked = datetime.combine(day - timedelta(lead), time(rng.randint(7, 18), rng.randint(0, 59)))
    slot = time(8 + rng.randint(0, 8), rng.choice((0, 15, 30, 45)))
    return ApptRecord(
        patient_key=patient.key,
        appointment_key=key,
        booked_at=booked,
        appointment_day=day,
        appointment_time=slot,
        age=patient.age,
        sex=patient.sex,
        department=rng.choice(DEPARTMENTS),
        reminder_sent=lead >= 3 and rng.random() < 0.5,
        hypertension=patient.hypertension,
        diabetes=patient.diabetes,
    )


def _bookings(n_patients: int, days: int, start: date, rng: random.Random) -> list[ApptRecord]:
    open_days = _open_days(start, days)
    per_patient = _VISITS_PER_30_DAYS * days / 30
    bookings: list[ApptRecord] = []
    for i in range(n_patients):
        patient = _patient(i, rng)
        # Poisson count by thinning: one visit always, more with the set rate.
        count = 1 + sum(1 for _ in range(int(per_patient * 2)) if rng.random() < 0.5)
        for _ in range(count):
            key = f"A{len(bookings):08d}"
            bookings.append(_booking(patient, key, rng.choice(open_days), rng))
    return bookings


def generate_with_truth(
    n_patients: int, days: int, seed: int = 0, start: date = DEFAULT_START
) -> tuple[list[ApptRecord], list[float]]:
    """Generate appointments in time order, with each one's true no-show probability."""
    rng = random.Random(seed)
    bookings = sorted(
        _bookings(n_patients, days, start, rng), key=lambda r: (r.appointment_day, r.booked_at)
    )
    seen: dict[str, tuple[int, int]] = {}  # patient -> (appointments, no-shows) on past days
    records: list[ApptRecord] = []
    truth: list[float] = []
    day_done: list[tuple[str, bool]] = []
    for i, r in enumerate(bookings):
        if i and r.appointment_day != bookings[i - 1].appointment_day:
            _close_day(seen, day_done)
        n, ns = seen.get(r.patient_key, (0, 0))
        logit = true_logit(
            max(0, (r.appointment_day - r.booked_at.date()).days),
            ns / n if n else 0.0,
            r.age or 0,
            r.appointment_day.weekday(),
            r.reminder_sent,
        )
        p = 1 / (1 + math.exp(-logit))
        outcome = rng.random() < p
        records.append(replace(r, no_show=outcome))
        truth.append(p)
        day_done.append((r.patient_key, outcome))
    return records, truth


def _close_day(seen: dict[str, tuple[int, int]], day_done: list[tuple[str, bool]]) -> None:
    # Outcomes count as history only from the next day on.
    for key, outcome in day_done:
        n, ns = seen.get(key, (0, 0))
        seen[key] = (n + 1, ns + int(outcome))
    day_done.clear()


def generate(
    n_patients: int, days: int, seed: int = 0, start: date = DEFAULT_START
) -> list[ApptRecord]:
    """Generate appointments in time order with outcomes drawn from the known model."""
    return generate_with_truth(n_patients, days, seed, start)[0]
