"""The self check-in window and the board's rotating code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.queue.checkin import (
    Arrival,
    CheckinRules,
    arrival,
    code_accepted,
    code_for,
    current_code,
    minutes_late,
    period_of,
)

SECRET = "a-test-secret-that-is-long-enough-0123456789"
RULES = CheckinRules(early_min=30, late_min=15, period_s=300, digits=4)
AT = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def test_the_window_opens_30_minutes_before_and_late_starts_15_minutes_after() -> None:
    assert arrival(AT, AT - timedelta(minutes=31), RULES) is Arrival.EARLY
    assert arrival(AT, AT - timedelta(minutes=30), RULES) is Arrival.ON_TIME
    assert arrival(AT, AT + timedelta(minutes=15), RULES) is Arrival.ON_TIME
    assert arrival(AT, AT + timedelta(minutes=16), RULES) is Arrival.LATE
    assert arrival(None, AT, RULES) is Arrival.ON_TIME  # a walk-in has no window
    wide = CheckinRules(early_min=60, late_min=0)
    assert arrival(AT, AT - timedelta(minutes=45), wide) is Arrival.ON_TIME
    assert arrival(AT, AT + timedelta(minutes=1), wide) is Arrival.LATE


def test_minutes_late_counts_whole_minutes_past_the_appointment() -> None:
    assert minutes_late(AT, AT + timedelta(minutes=40, seconds=59)) == 40
    assert minutes_late(AT, AT - timedelta(minutes=5)) == 0
    assert minutes_late(None, AT) == 0


def test_the_code_is_short_digits_and_the_same_within_a_period() -> None:
    code, changes = current_code(SECRET, 1, AT, RULES)
    assert len(code) == 4 and code.isdigit()
    assert changes == datetime.fromtimestamp((period_of(AT, 300) + 1) * 300, tz=UTC)
    assert current_code(SECRET, 1, changes - timedelta(seconds=1), RULES)[0] == code
    # Every server process derives the same code: nothing is stored.
    assert code == code_for(SECRET, 1, period_of(AT, 300), 4)


def test_the_code_rotates_and_differs_per_department_and_secret() -> None:
    codes = {code_for(SECRET, 1, p, 4) for p in range(1000, 1020)}
    assert len(codes) >= 18  # rotates (4 digits: a repeat now and then is chance)
    assert [code_for(SECRET, 1, p, 4) for p in range(50)] != [
        code_for(SECRET, 2, p, 4) for p in range(50)
    ]
    assert [code_for(SECRET, 1, p, 4) for p in range(50)] != [
        code_for(SECRET + "x", 1, p, 4) for p in range(50)
    ]
    assert len(code_for(SECRET, 1, 7, 6)) == 6


def test_the_current_and_the_previous_code_are_accepted_an_older_one_is_not() -> None:
    period = period_of(AT, 300)
    current, previous, stale, later = (code_for(SECRET, 1, period - b, 4) for b in (0, 1, 2, -1))
    assert len({current, previous, stale, later}) == 4  # these constants give four codes
    assert code_accepted(SECRET, 1, current, AT, RULES)
    assert code_accepted(SECRET, 1, previous, AT, RULES)
    assert not code_accepted(SECRET, 1, stale, AT, RULES)
    assert not code_accepted(SECRET, 1, later, AT, RULES)
    assert not code_accepted(SECRET, 1, "", AT, RULES)
    other = code_for(SECRET, 2, period, 4)
    assert other not in (current, previous)
    assert not code_accepted(SECRET, 1, other, AT, RULES)
    # Five minutes on, the code that was current is the previous one: still accepted.
    assert code_accepted(SECRET, 1, current, AT + timedelta(minutes=5), RULES)
    assert not code_accepted(SECRET, 1, previous, AT + timedelta(minutes=5), RULES)
