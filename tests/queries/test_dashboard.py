"""The dashboard's figures, on visits small enough to check by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.models.appointments import Source
from server.queries.dashboard import (
    STATUS_KEYS,
    Names,
    Spread,
    Visit,
    dashboard,
    no_shows,
    percentile,
    spread,
    summarize,
    waits,
)
from server.queue.order import Urgency
from server.queue.state import TicketStatus as S

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
DAY = T0.date()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seen(arrived: float, called: float, started: float, done: float, **more: object) -> Visit:
    values: dict[str, object] = {
        "department_id": 1,
        "doctor_id": 10,
        "status": S.COMPLETED,
        "source": Source.WALK_IN,
        "checked_in_at": at(arrived),
        "called_at": at(called),
        "started_at": at(started),
        "completed_at": at(done),
    }
    values.update(more)
    return Visit(**values)  # type: ignore[arg-type]


def booking(status: S, probability: float | None, slot_ends: float, **more: object) -> Visit:
    values: dict[str, object] = {
        "department_id": 1,
        "doctor_id": 10,
        "status": status,
        "source": Source.ONLINE,
        "no_show_probability": probability,
        "slot_ends_at": at(slot_ends),
    }
    values.update(more)
    return Visit(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
        ([float(n) for n in range(1, 11)], 0.9, 9.1),  # rank 8.1 of 0..9: 9 + 0.1 x (10 - 9)
        ([10.0, 20.0], 0.9, 19.0),
        ([], 0.5, None),
    ],
)
def test_percentiles_interpolate_between_ranks(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert percentile(values, fraction) == pytest.approx(expected)


def test_waits_and_consultations_give_median_and_p90_in_minutes() -> None:
    visits = [
        seen(0, 10, 11, 21),
        seen(0, 20, 20, 25),
        seen(5, 35, 36, 51),
        seen(10, 50, 52, 72),
    ]
    metrics = summarize(visits, at(120), UTC)
    # Waits 10, 20, 30, 40: median 25, p90 at rank 2.7 = 30 + 0.7 x 10 = 37.
    assert (metrics.wait_min.count, metrics.wait_min.median, metrics.wait_min.p90) == (4, 25, 37)
    # Consultations 5, 10, 15, 20: median 12.5, p90 = 15 + 0.7 x 5 = 18.5.
    assert (metrics.consultation_min.median, metrics.consultation_min.p90) == (12.5, 18.5)


def test_a_requeued_ticket_does_not_count_its_old_call_as_a_wait() -> None:
    requeued = Visit(1, 10, S.WAITING, Source.WALK_IN, checked_in_at=at(30), called_at=at(10))
    assert waits([requeued, seen(0, 4, 5, 9)]) == [4]


def test_an_empty_day_has_zero_counts_and_no_medians() -> None:
    metrics = summarize([], T0, UTC)
    assert metrics.tickets == 0 and set(metrics.by_status) == set(STATUS_KEYS)
    assert not any(metrics.by_status.values())
    assert metrics.wait_min.median is None and metrics.consultation_min.p90 is None
    assert metrics.no_shows.rate is None and metrics.no_shows.predicted is None
    assert metrics.seen_per_hour == [0] * 24


def test_the_no_show_rate_of_past_slots_stands_beside_the_mean_prediction() -> None:
    visits = [
        booking(S.NO_SHOW, 0.6, 15),
        booking(S.BOOKED, 0.4, 30),  # never checked in, its slot is over: missed
        booking(S.COMPLETED, 0.2, 30),
        booking(S.WAITING, None, 45),  # came; not scored
        booking(S.BOOKED, 0.9, 90),  # its slot is still ahead: not due
        booking(S.CANCELLED, 0.5, 15),  # withdrawn: never due
        seen(0, 1, 2, 3),  # a walk-in has no slot
    ]
    result = no_shows(visits, at(60))
    assert (result.due, result.missed, result.rate) == (4, 2, 0.5)
    # The model expected (0.6 + 0.4 + 0.2) / 3 = 0.4 of the scored ones to stay away.
    assert (result.predicted, result.scored) == (0.4, 3)


def test_statuses_sources_emergencies_overbookings_and_hours_are_counted() -> None:
    zone = ZoneInfo("Europe/Berlin")  # UTC+1 in March: hours are the clinic's, not UTC's
    visits = [
        seen(0, 5, 5, 50, urgency=Urgency.EMERGENCY),  # done 09:50
        seen(0, 5, 60, 75, transferred_at=at(30), status=S.COMPLETED),  # done 10:15
        booking(S.CANCELLED, 0.1, 15, overbooked=True),
        booking(S.BOOKED, 0.1, 600, overbooked=True),
        Visit(1, None, S.WAITING, Source.WALK_IN, checked_in_at=at(0)),
    ]
    metrics = summarize(visits, at(70), zone)
    assert metrics.tickets == 5 and (metrics.walk_ins, metrics.online) == (3, 2)
    assert metrics.by_status == {
        "booked": 1,
        "waiting": 1,
        "called": 0,
        "in_consultation": 0,
        "completed": 2,
        "no_show": 0,
        "skipped": 0,
        "cancelled": 1,
        "transferred": 1,
    }
    assert metrics.emergencies == 1 and metrics.overbooked == 1
    assert metrics.seen_per_hour[10] == 1 and metrics.seen_per_hour[11] == 1
    assert sum(metrics.seen_per_hour) == 2


def test_the_dashboard_has_a_row_per_department_and_per_doctor() -> None:
    visits = [
        seen(0, 10, 10, 20),
        seen(0, 30, 30, 40, doctor_id=11),
        Visit(2, None, S.WAITING, Source.WALK_IN, checked_in_at=at(0)),
    ]
    names = Names({1: "Cardiology", 2: "Paediatrics", 3: "Dermatology"}, {10: "Dr. B", 11: "Dr. A"})
    board = dashboard(visits, names, day=DAY, now=at(60), zone=UTC)
    assert board["totals"]["tickets"] == 3 and board["day"] == "2030-03-04"
    departments = [(d["name"], d["tickets"]) for d in board["departments"]]
    assert departments == [("Cardiology", 2), ("Dermatology", 0), ("Paediatrics", 1)]
    doctors = [(d["name"], d["department"], d["wait_min"]["median"]) for d in board["doctors"]]
    assert doctors == [
        ("Dr. A", "Cardiology", 30),
        ("Dr. B", "Cardiology", 10),
        ("Not yet assigned", "Paediatrics", None),
    ]


def test_spread_rounds_to_a_tenth_of_a_minute() -> None:
    # Median 0.5; p90 = 1/3 + 0.9 x 1/3 = 0.633...
    assert spread([1 / 3, 2 / 3]) == Spread(count=2, median=0.5, p90=0.6)
