"""Queue order, positions and wait estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.queue.order import (
    QueueEntry,
    Urgency,
    estimate_waits,
    expected_duration,
    priority_order,
    remaining_minutes,
)

NOON = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


def entry(ticket_id: int, **overrides: Any) -> QueueEntry:
    values: dict[str, Any] = {
        "ticket_id": ticket_id,
        "urgency": Urgency.ROUTINE,
        "arrived_at": NOON,
    }
    values.update(overrides)
    return QueueEntry(**values)


def at(minutes: int) -> datetime:
    return NOON + timedelta(minutes=minutes)


def ids(entries: list[QueueEntry]) -> list[int]:
    return [e.ticket_id for e in entries]


def test_emergency_then_urgent_then_routine_whatever_the_arrival() -> None:
    queue = [
        entry(1, arrived_at=at(0)),
        entry(2, urgency=Urgency.URGENT, arrived_at=at(5)),
        entry(3, urgency=Urgency.EMERGENCY, arrived_at=at(30)),
    ]
    assert ids(priority_order(queue)) == [3, 2, 1]


def test_booked_patients_keep_their_appointment_time_walk_ins_their_arrival() -> None:
    booked_late_arrival = entry(1, arrived_at=at(20), scheduled_at=at(0))
    walk_in_early = entry(2, arrived_at=at(10))
    booked_later = entry(3, arrived_at=at(1), scheduled_at=at(15))
    assert ids(priority_order([walk_in_early, booked_later, booked_late_arrival])) == [1, 2, 3]


def test_the_scheduler_plan_orders_within_an_urgency_but_never_above_an_emergency() -> None:
    queue = [
        entry(1, plan_rank=2),
        entry(2, plan_rank=1, arrived_at=at(40)),
        entry(3, urgency=Urgency.EMERGENCY, arrived_at=at(50)),
    ]
    assert ids(priority_order(queue)) == [3, 2, 1]


def test_a_priority_weight_goes_first_within_its_urgency_but_not_above_the_plan() -> None:
    queue = [
        entry(1, arrived_at=at(0)),
        entry(2, arrived_at=at(30), priority_weight=3),
        entry(3, urgency=Urgency.URGENT, arrived_at=at(40)),
    ]
    assert ids(priority_order(queue)) == [3, 2, 1]
    # Without a weight the later patient waits their turn.
    assert ids(priority_order([entry(1, arrived_at=at(0)), entry(2, arrived_at=at(30))])) == [1, 2]
    # The scheduler's plan (which already weighs categories) comes first.
    planned = [entry(1, plan_rank=1), entry(2, plan_rank=2, priority_weight=3)]
    assert ids(priority_order(planned)) == [1, 2]


def test_equal_tickets_keep_a_stable_order_by_id() -> None:
    assert ids(priority_order([entry(9), entry(4), entry(7)])) == [4, 7, 9]


def test_waits_grow_by_one_consultation_per_place_shared_by_doctors() -> None:
    queue = [entry(i) for i in range(1, 6)]
    estimates = estimate_waits(queue, per_patient_min=12, doctors=2, busy_remaining_min=3)
    assert [e.position for e in estimates] == [1, 2, 3, 4, 5]
    assert [e.wait_min for e in estimates] == [3, 3, 15, 15, 27]


def test_duration_is_the_mean_of_recent_consultations_ignoring_slips() -> None:
    assert expected_duration([8, 10, 12, 600, 0], default_min=15) == 10
    assert expected_duration([9], default_min=15) == 15  # too few to trust
    # A consultation left open for 200 minutes is a slip (over 5x the median of 10), not a
    # consultation; the long ones of the right tail are real and stay in.
    recent = [10] * 14 + [20, 25, 30, 35, 40, 200]
    assert expected_duration(recent, default_min=15) == (14 * 10 + 20 + 25 + 30 + 35 + 40) / 19


def test_duration_is_not_biased_low_by_the_long_right_tail() -> None:
    # A wait is a sum of consultations, so the forecast needs their mean (14 here); a
    # trimmed mean (12.5) or the median (11.5) would promise waits that are too short.
    recent = [6, 8, 9, 10, 11, 12, 14, 16, 20, 34]
    assert expected_duration(recent, default_min=15) == 14


def test_remaining_time_of_the_current_consultation() -> None:
    assert remaining_minutes(at(0), at(4), per_patient_min=10) == 6
    # Running long: a quarter of a usual consultation is still to come, so the ETAs behind
    # it keep moving later instead of stopping at "now".
    assert remaining_minutes(at(0), at(25), per_patient_min=10) == 2.5
    assert remaining_minutes(None, at(0), per_patient_min=10) == 0


def test_remaining_time_given_how_long_the_consultation_has_run() -> None:
    # Half the doctor's consultations take 5 minutes, half 25 (mean 15). One still running
    # after 10 minutes is one of the long ones: 15 minutes are left, not 15 - 10 = 5.
    recent = [5.0] * 6 + [25.0] * 6
    assert remaining_minutes(at(0), at(0), 15, recent) == 15
    assert remaining_minutes(at(0), at(10), 15, recent) == 15
    assert remaining_minutes(at(0), at(20), 15, recent) == 5


def test_remaining_time_beyond_the_recent_consultations_uses_their_tail() -> None:
    recent = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 20.0, 22.0, 24.0, 26.0, 28.0]
    # Longer than all but four: the five longest ran on average 9 minutes past the sixth.
    assert remaining_minutes(at(0), at(23), 17, recent) == (5 + 7 + 9 + 11 + 13) / 5
    assert remaining_minutes(at(0), at(60), 17, recent) == (5 + 7 + 9 + 11 + 13) / 5
