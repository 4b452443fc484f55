"""Outcome figures on a day small enough to check by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from server.queries.outcome import Block, Stint, summary

DAY = date(2030, 3, 4)


def t(hour: int, minute: int) -> datetime:
    return datetime(2030, 3, 4, hour, minute, tzinfo=UTC)


def test_one_doctor_three_patients() -> None:
    """09:00-10:00; consultations 20, 15 and 30 minutes; the last runs 5 minutes over."""
    stints = [
        Stint(
            1,
            1,
            7,
            DAY,
            "booked",
            "completed",
            11,
            False,
            t(9, 0),
            t(8, 55),
            t(9, 0),
            t(9, 0),
            t(9, 20),
        ),
        Stint(
            2,
            1,
            7,
            DAY,
            "booked",
            "completed",
            12,
            False,
            t(9, 15),
            t(9, 10),
            t(9, 20),
            t(9, 20),
            t(9, 35),
        ),
        Stint(
            3,
            1,
            7,
            DAY,
            "walk_in",
            "completed",
            None,
            False,
            None,
            t(9, 30),
            t(9, 35),
            t(9, 35),
            t(10, 5),
        ),
    ]
    figures = summary(stints, [Block(7, 1, DAY, t(9, 0), t(10, 0))])
    assert figures["utilisation"] == round(65 / 60, 4)
    assert figures["seen"] == 3 and figures["unseen"] == 0
    # Waits from the later of arrival and appointment: 0, 5 and 5 minutes.
    assert figures["wait_mean_min"] == 3.3
    assert figures["wait_p50_min"] == 5.0
    assert figures["wait_by_kind"]["booked"]["mean"] == 2.5  # type: ignore[index]
    assert figures["overtime_mean_min"] == 5.0
    assert figures["idle_min"] == 0.0
    assert figures["emergency_p95_min"] is None


def test_a_patient_who_came_but_was_not_seen_and_an_overbooked_slot() -> None:
    stints = [
        Stint(
            1,
            1,
            7,
            DAY,
            "booked",
            "completed",
            11,
            False,
            t(9, 0),
            t(9, 0),
            t(9, 0),
            t(9, 0),
            t(9, 10),
        ),
        Stint(
            2,
            1,
            7,
            DAY,
            "booked",
            "completed",
            11,
            True,
            t(9, 0),
            t(9, 1),
            t(9, 10),
            t(9, 10),
            t(9, 20),
        ),
        Stint(3, 1, None, DAY, "emergency", "waiting", None, False, None, t(9, 50)),
    ]
    figures = summary(stints, [Block(7, 1, DAY, t(9, 0), t(10, 0))])
    assert figures["unseen"] == 1
    assert figures["overbooked_all_came"] == 1
    assert figures["idle_min"] == 40.0
    assert figures["utilisation"] == round(20 / 60, 4)
