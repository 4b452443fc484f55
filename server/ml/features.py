"""Leak-free no-show features, shared by the database, the CSV loaders and the scorer.

A booking is scored twice: when it is made (``BOOKING``) and the night before its day
(``NIGHTLY``, what overbooking uses). Two kinds of feature use the patient's other
appointments, and each score sees only what is known at its own time:

* history features use *outcomes*, only of appointments on days strictly before
  ``outcomes_before(record, when)``: the appointment day for the nightly score, the booking
  date for the booking-time score;
* booking-context features count bookings without looking at any outcome, only bookings
  made up to ``known_at(record, when)``: the start of the appointment day for the nightly
  score (or the booking itself for a same-day booking), the booking itself at booking time.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

import numpy as np
import numpy.typing as npt

from server.ml.rates import BASE_NO_SHOW_RATE

# Bump when a feature's meaning changes: saved models with another version are refused.
FEATURE_SET_VERSION = "3"

# Age bands in years; the band is the index of the first upper bound above the age.
AGE_BAND_UPPER = (1, 6, 13, 19, 26, 36, 46, 56, 66, 76)
DEPARTMENT_BUCKETS = 1024

OWN_FEATURES: tuple[str, ...] = (
    "lead_days",
    "log_lead",
    "same_day_booking",
    "weekday",
    "booked_hour",
    "appt_hour",
    "age",
    "age_band",
    "sex_female",
    "sex_male",
    "department_code",
    "reminder_sent",
    "hypertension",
    "diabetes",
    "alcoholism",
    "handicap",
    "scholarship",
    "n_conditions",
)
HISTORY_FEATURES: tuple[str, ...] = (
    "prior_appts",
    "prior_no_shows",
    "prior_no_show_rate",
    "prior_no_show_days",
    "last_no_show",
    "days_since_last_visit",
    "prior_walk_ins",
    "prior_booked_appts",
    "prior_booked_no_shows",
    "prior_lead_days",
    "booked_at_visit",
)
CONTEXT_FEATURES: tuple[str, ...] = (
    "same_day_appts",
    "future_appts",
    "later_bookings",
    "same_booking_date",
    "days_since_prev_booking",
)
FEATURE_NAMES: tuple[str, ...] = OWN_FEATURES + HISTORY_FEATURES + CONTEXT_FEATURES

# Prior for the smoothed no-show rate: a patient with no history gets about the base rate.
_RATE_PRIOR_WEIGHT = 2.0
_RATE_PRIOR = BASE_NO_SHOW_RATE
_MISSING = -1.0

FloatArray = npt.NDArray[np.float64]
ScoreTime = Literal["nightly", "booking"]
NIGHTLY: ScoreTime = "nightly"
BOOKING: ScoreTime = "booking"


@dataclass(frozen=True, slots=True)
class ApptRecord:
    """One appointment as the no-show model sees it."""

    patient_key: str
    appointment_key: str
    booked_at: datetime
    appointment_day: date
    appointment_time: time | None = None
    age: int | None = None
    sex: str | None = None
    department: str | None = None
    reminder_sent: bool = False
    hypertension: bool = False
    diabetes: bool = False
    alcoholism: bool = False
    handicap: int = 0
    scholarship: bool = False
    no_show: bool | None = None


@dataclass(frozen=True, slots=True)
class FeatureMatrix:
    """Feature rows in the order of the records they came from."""

    values: FloatArray
    names: tuple[str, ...] = FEATURE_NAMES


def lead_days(record: ApptRecord) -> int:
    """Return whole days from the booking date to the appointment day, never negative."""
    return max(0, (record.appointment_day - record.booked_at.date()).days)


def age_band(age: int | None) -> int:
    """Return the index of the age band, or -1 when the age is unknown."""
    if age is None or age < 0:
        return -1
    return next((i for i, upper in enumerate(AGE_BAND_UPPER) if age < upper), len(AGE_BAND_UPPER))


def department_code(department: str | None) -> int:
    """Hash a department name to a stable bucket, so no vocabulary is needed."""
    if not department:
        return -1
    return zlib.crc32(department.strip().casefold().encode()) % DEPARTMENT_BUCKETS


def known_at(record: ApptRecord, when: ScoreTime = NIGHTLY) -> datetime:
    """Return the latest booking time a score may count: the day's start or the booking."""
    if when == BOOKING:
        return record.booked_at
    day_start = datetime.combine(record.appointment_day, time.min, tzinfo=record.booked_at.tzinfo)
    return max(record.booked_at, day_start)


def outcomes_before(record: ApptRecord, when: ScoreTime = NIGHTLY) -> date:
    """Return the first day whose outcomes a score may not see."""
    if when == BOOKING:
        return min(record.booked_at.date(), record.appointment_day)
    return record.appointment_day


def _own_values(r: ApptRecord) -> list[float]:
    lead = lead_days(r)
    t = r.appointment_time
    sex = (r.sex or "").upper()
    conditions = int(r.hypertension) + int(r.diabetes) + int(r.alcoholism) + int(r.handicap > 0)
    return [
        float(lead),
        math.log1p(lead),
        float(lead == 0),
        float(r.appointment_day.weekday()),
        r.booked_at.hour + r.booked_at.minute / 60.0,
        _MISSING if t is None else t.hour + t.minute / 60.0,
        _MISSING if r.age is None or r.age < 0 else float(r.age),
        float(age_band(r.age)),
        float(sex == "F"),
        float(sex == "M"),
        float(department_code(r.department)),
        float(r.reminder_sent),
        float(r.hypertension),
        float(r.diabetes),
        float(r.alcoholism),
        float(r.handicap),
        float(r.scholarship),
        float(conditions),
    ]


def _history_values(
    target: ApptRecord, others: Sequence[ApptRecord], when: ScoreTime
) -> list[float]:
    day = target.appointment_day
    # Only completed appointments on earlier days: their outcome is known at scoring time.
    seen_before = outcomes_before(target, when)
    prior = [o for o in others if o.appointment_day < seen_before and o.no_show is not None]
    no_show_days = {o.appointment_day for o in prior if o.no_show}
    booked = [o for o in prior if lead_days(o) > 0]
    n_no_shows = sum(1 for o in prior if o.no_show)
    if prior:
        last = max(prior, key=lambda o: (o.appointment_day, o.booked_at, o.appointment_key))
        last_no_show = float(last.appointment_day in no_show_days)
        days_since = float((day - last.appointment_day).days)
        last_lead = float(lead_days(last))
        # Booked while attending an earlier appointment: the patient was at the clinic.
        booking_day = target.booked_at.date()
        at_visit = float(any(o.appointment_day == booking_day and not o.no_show for o in prior))
    else:
        last_no_show = days_since = last_lead = at_visit = _MISSING
    return [
        float(len(prior)),
        float(n_no_shows),
        (n_no_shows + _RATE_PRIOR * _RATE_PRIOR_WEIGHT) / (len(prior) + _RATE_PRIOR_WEIGHT),
        float(len(no_show_days)),
        last_no_show,
        days_since,
        float(len(prior) - len(booked)),
        float(len(booked)),
        float(sum(1 for o in booked if o.no_show)),
        last_lead,
        at_visit,
    ]


def _context_values(
    target: ApptRecord, others: Sequence[ApptRecord], when: ScoreTime
) -> list[float]:
    # Bookings only, never outcomes, and only those made up to the cut-off.
    cutoff, day, booked = known_at(target, when), target.appointment_day, target.booked_at
    known = [o for o in others if o.booked_at <= cutoff]
    earlier = [o.booked_at for o in known if o.booked_at < booked]
    since = (booked - max(earlier)).total_seconds() / 86400 if earlier else _MISSING
    return [
        float(1 + sum(1 for o in known if o.appointment_day == day)),
        float(sum(1 for o in known if o.appointment_day > day)),
        float(sum(1 for o in known if o.booked_at > booked)),
        float(sum(1 for o in known if o.booked_at.date() == booked.date())),
        since,
    ]


def feature_row(
    target: ApptRecord, history: Sequence[ApptRecord], when: ScoreTime = NIGHTLY
) -> list[float]:
    """Compute one feature row; ``history`` may hold any of the patient's appointments."""
    others = [
        o
        for o in history
        if o.appointment_key != target.appointment_key and o.patient_key == target.patient_key
    ]
    return (
        _own_values(target)
        + _history_values(target, others, when)
        + _context_values(target, others, when)
    )


def build_features_for(
    target: ApptRecord, history: Sequence[ApptRecord], when: ScoreTime = NIGHTLY
) -> FloatArray:
    """Return the 1 x n feature matrix for scoring one booking."""
    return np.asarray([feature_row(target, history, when)], dtype=np.float64)


def build_features(records: Sequence[ApptRecord], when: ScoreTime = NIGHTLY) -> FeatureMatrix:
    """Build features for every record, each seeing only what is known at ``when``."""
    by_patient: dict[str, list[ApptRecord]] = defaultdict(list)
    for r in records:
        by_patient[r.patient_key].append(r)
    rows = [feature_row(r, by_patient[r.patient_key], when) for r in records]
    values = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))
    return FeatureMatrix(values=values)


def labels(records: Sequence[ApptRecord]) -> npt.NDArray[np.int_]:
    """Return 1 for a no-show and 0 for a show; records without an outcome are an error."""
    if any(r.no_show is None for r in records):
        raise ValueError("labels need records with a known outcome")
    return np.fromiter((int(bool(r.no_show)) for r in records), dtype=np.int_, count=len(records))
