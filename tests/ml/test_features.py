from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest

from server.ml import features
from server.ml.features import (
    BOOKING,
    CONTEXT_FEATURES,
    FEATURE_NAMES,
    HISTORY_FEATURES,
    NIGHTLY,
    ApptRecord,
    ScoreTime,
    build_features,
    build_features_for,
    feature_row,
    known_at,
    lead_days,
    outcomes_before,
)

HISTORY_IDX = [FEATURE_NAMES.index(n) for n in HISTORY_FEATURES]


def appt(
    key: str, day: date, booked: datetime, no_show: bool | None, patient: str = "p"
) -> ApptRecord:
    return ApptRecord(
        patient_key=patient,
        appointment_key=key,
        booked_at=booked,
        appointment_day=day,
        no_show=no_show,
    )


def value(row: list[float], name: str) -> float:
    return row[FEATURE_NAMES.index(name)]


def test_same_day_booking_has_lead_zero_not_negative() -> None:
    # The day has no time, so booking at 18:00 on the day itself is a raw -18 h difference.
    r = appt("a", date(2016, 5, 2), datetime(2016, 5, 2, 18, 0), None)
    assert lead_days(r) == 0
    assert value(feature_row(r, []), "same_day_booking") == 1.0


def test_history_counts_only_earlier_days() -> None:
    d = date(2025, 3, 10)
    earlier = appt("e", d - timedelta(3), datetime(2025, 3, 1, 9), True)
    same_day = appt("s", d, datetime(2025, 3, 1, 9), True)
    later = appt("l", d + timedelta(2), datetime(2025, 3, 1, 9), True)
    target = appt("t", d, datetime(2025, 3, 2, 9), False)
    row = feature_row(target, [earlier, same_day, later, target])
    assert value(row, "prior_appts") == 1
    assert value(row, "prior_no_shows") == 1
    assert value(row, "days_since_last_visit") == 3
    assert value(row, "same_day_appts") == 2  # a count of bookings, not of outcomes


def _mutate_future(
    target: ApptRecord,
    records: list[ApptRecord],
    rng: random.Random,
    when: ScoreTime,
    erase: bool,
) -> list[ApptRecord]:
    """Flip or erase (as in production) the outcomes the target may not see; add late bookings."""
    hidden_from = outcomes_before(target, when)

    def hide(r: ApptRecord) -> ApptRecord:
        return replace(r, no_show=None if erase else rng.random() < 0.5)

    out = [
        hide(r) if r.patient_key == target.patient_key and r.appointment_day >= hidden_from else r
        for r in records
    ]
    late = known_at(target, when) + timedelta(minutes=1)
    for n, day in enumerate((target.appointment_day, target.appointment_day + timedelta(3))):
        out.append(appt(f"late{n}", day, late, True, target.patient_key))
    return out


def _leaking_rows(history: list[ApptRecord], when: ScoreTime, erase: bool) -> int:
    """Count sampled rows whose features change when hidden outcomes or late bookings do."""
    rng = random.Random(0)
    base = build_features(history, when).values
    # Patients with several appointments are the ones a leak would show up for.
    counts: dict[str, int] = {}
    for r in history:
        counts[r.patient_key] = counts.get(r.patient_key, 0) + 1
    targets = [i for i, r in enumerate(history) if counts[r.patient_key] >= 3]
    assert len(targets) > 50
    changed = 0
    for i in rng.sample(targets, 80):
        target = history[i]
        mutated = _mutate_future(target, history, rng, when, erase)
        patient = [r for r in mutated if r.patient_key == target.patient_key]
        changed += feature_row(target, patient, when) != list(base[i])
    return changed


@pytest.mark.parametrize("erase", [False, True], ids=["flipped", "erased"])
@pytest.mark.parametrize("when", [NIGHTLY, BOOKING])
def test_no_feature_sees_its_own_or_a_later_outcome(
    small_history: list[ApptRecord], when: ScoreTime, erase: bool
) -> None:
    assert _leaking_rows(small_history, when, erase) == 0


@pytest.mark.parametrize(
    ("rule", "shift"),
    [("outcomes_before", timedelta(days=1)), ("known_at", timedelta(minutes=5))],
    ids=["own-day-outcomes", "late-bookings"],
)
@pytest.mark.parametrize("when", [NIGHTLY, BOOKING])
def test_leak_check_notices_a_loosened_rule(
    small_history: list[ApptRecord],
    when: ScoreTime,
    rule: str,
    shift: timedelta,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The check above is only worth something if it fails once a rule lets the future in.
    strict = getattr(features, rule)
    monkeypatch.setattr(features, rule, lambda r, w=NIGHTLY: strict(r, w) + shift)
    assert _leaking_rows(small_history, when, erase=False) > 0


@pytest.mark.parametrize("when", [NIGHTLY, BOOKING])
def test_booking_counts_use_only_bookings_made_up_to_the_cut_off(when: ScoreTime) -> None:
    day = date(2025, 3, 10)
    target = appt("t", day, datetime(2025, 3, 3, 10), None)
    cutoff = known_at(target, when)
    assert cutoff == (datetime(2025, 3, 10) if when == NIGHTLY else target.booked_at)
    names = ("same_day_appts", "future_appts", "later_bookings", "same_booking_date")
    before = cutoff - timedelta(minutes=1)
    after = cutoff + timedelta(minutes=1)
    known = [appt("s", day, before, None), appt("f", day + timedelta(2), before, None)]
    unknown = [appt("s2", day, after, None), appt("f2", day + timedelta(2), after, None)]
    row_known = feature_row(target, [target, *known])
    row_all = feature_row(target, [target, *known, *unknown], when)
    assert [value(row_all, n) for n in names] == [
        value(feature_row(target, [target, *known], when), n) for n in names
    ]
    assert value(row_all, "same_day_appts") == 2 and value(row_all, "future_appts") == 1
    if when == NIGHTLY:
        # Made after this booking and before the night: counted, and on another date.
        assert value(row_known, "later_bookings") == 2
        assert value(row_known, "same_booking_date") == 0
    else:
        assert value(row_all, "later_bookings") == 0
        assert value(row_all, "same_booking_date") == 2


def test_booking_time_score_ignores_outcomes_after_the_booking() -> None:
    day = date(2025, 3, 10)
    target = appt("t", day, datetime(2025, 3, 3, 10), None)
    seen = appt("a", date(2025, 3, 1), datetime(2025, 2, 20, 9), True)
    unseen = appt("b", date(2025, 3, 5), datetime(2025, 2, 20, 9), True)
    at_booking = feature_row(target, [seen, unseen], BOOKING)
    nightly = feature_row(target, [seen, unseen], NIGHTLY)
    assert value(at_booking, "prior_appts") == 1 and value(nightly, "prior_appts") == 2
    assert value(at_booking, "days_since_last_visit") == 9


def test_booking_made_at_an_attended_visit_is_marked() -> None:
    visit = appt("v", date(2025, 3, 3), datetime(2025, 2, 20, 9), False)
    target = appt("t", date(2025, 3, 10), datetime(2025, 3, 3, 11), None)
    assert value(feature_row(target, [visit]), "booked_at_visit") == 1
    missed = replace(visit, no_show=True)
    assert value(feature_row(target, [missed]), "booked_at_visit") == 0
    assert value(feature_row(target, []), "booked_at_visit") == -1
    assert value(feature_row(target, [visit]), "prior_lead_days") == 11


def test_history_features_ignore_later_appointments_entirely(
    small_history: list[ApptRecord],
) -> None:
    base = build_features(small_history).values
    by_patient: dict[str, list[ApptRecord]] = {}
    for r in small_history:
        by_patient.setdefault(r.patient_key, []).append(r)
    for i, target in enumerate(small_history[::7]):
        earlier = [
            r for r in by_patient[target.patient_key] if r.appointment_day < target.appointment_day
        ]
        row = np.asarray(feature_row(target, earlier))
        np.testing.assert_array_equal(row[HISTORY_IDX], base[i * 7][HISTORY_IDX])


def test_single_booking_features_match_the_batch(small_history: list[ApptRecord]) -> None:
    batch = build_features(small_history).values
    for i in range(0, len(small_history), 11):
        one = build_features_for(small_history[i], small_history)
        np.testing.assert_array_equal(one[0], batch[i])


def test_feature_names_are_unique_and_complete() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert set(HISTORY_FEATURES) | set(CONTEXT_FEATURES) <= set(FEATURE_NAMES)


def test_other_patients_never_count() -> None:
    d = date(2025, 3, 10)
    other = appt("o", d - timedelta(1), datetime(2025, 3, 1, 9), True, patient="q")
    target = appt("t", d, datetime(2025, 3, 2, 9), None)
    assert value(feature_row(target, [other]), "prior_appts") == 0


@pytest.mark.parametrize(("age", "band"), [(None, -1), (-1, -1), (0, 0), (5, 1), (40, 6), (99, 10)])
def test_age_band(age: int | None, band: int) -> None:
    r = replace(appt("a", date(2025, 1, 6), datetime(2025, 1, 1, 8), None), age=age)
    assert value(feature_row(r, []), "age_band") == band


def test_unknown_time_of_day_is_marked_missing() -> None:
    r = appt("a", date(2025, 1, 6), datetime(2025, 1, 1, 8), None)
    assert value(feature_row(r, []), "appt_hour") == -1
    timed = replace(r, appointment_time=time(14, 30))
    assert value(feature_row(timed, []), "appt_hour") == 14.5
