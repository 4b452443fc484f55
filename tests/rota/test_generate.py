"""The pure rota generator: four weeks from a template, closures, leave, DST, never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.rota.generate import Away, Existing, Template, overlapping, plan, still_planned

UTC_ZONE = ZoneInfo("UTC")
LISBON = ZoneInfo("Europe/Lisbon")
MONDAY = date(2030, 3, 4)
MORNINGS = Template(id=1, doctor_id=7, weekday=0, start=time(9), end=time(13), valid_from=MONDAY)


def test_a_monday_template_makes_four_mondays_in_four_weeks() -> None:
    sessions = plan([MORNINGS], MONDAY, MONDAY + timedelta(days=27), UTC_ZONE)
    assert [s.day for s in sessions] == [MONDAY + timedelta(weeks=k) for k in range(4)]
    assert sessions[0].starts_at == datetime(2030, 3, 4, 9, tzinfo=UTC)
    assert sessions[0].ends_at == datetime(2030, 3, 4, 13, tzinfo=UTC)


def test_validity_bounds_the_weeks() -> None:
    short = Template(
        id=1,
        doctor_id=7,
        weekday=0,
        start=time(9),
        end=time(13),
        valid_from=MONDAY + timedelta(weeks=1),
        valid_to=MONDAY + timedelta(weeks=2),
    )
    sessions = plan([short], MONDAY, MONDAY + timedelta(days=27), UTC_ZONE)
    assert [s.day for s in sessions] == [MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=2)]


def test_a_closure_removes_the_day_for_everyone_and_leave_for_one_doctor() -> None:
    other = Template(id=2, doctor_id=8, weekday=0, start=time(14), end=time(18), valid_from=MONDAY)
    holiday = MONDAY + timedelta(weeks=1)
    away = [
        Away(holiday, holiday),
        Away(MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=3), 8),
    ]
    sessions = plan([MORNINGS, other], MONDAY, MONDAY + timedelta(days=27), UTC_ZONE, away=away)
    days = {(s.doctor_id, s.day) for s in sessions}
    assert (7, holiday) not in days and (8, holiday) not in days
    assert {d for doctor, d in days if doctor == 7} == {
        MONDAY,
        MONDAY + timedelta(weeks=2),
        MONDAY + timedelta(weeks=3),
    }
    assert {d for doctor, d in days if doctor == 8} == {MONDAY}


def test_a_second_run_creates_nothing_twice() -> None:
    first = plan([MORNINGS], MONDAY, MONDAY + timedelta(days=27), UTC_ZONE)
    existing = [Existing(s.doctor_id, s.starts_at, s.ends_at) for s in first]
    again = plan([MORNINGS], MONDAY, MONDAY + timedelta(days=34), UTC_ZONE, existing=existing)
    assert [s.day for s in again] == [MONDAY + timedelta(weeks=4)]


def test_a_session_opened_by_hand_is_not_overlapped() -> None:
    by_hand = Existing(
        7, datetime(2030, 3, 4, 12, tzinfo=UTC), datetime(2030, 3, 4, 15, tzinfo=UTC)
    )
    sessions = plan([MORNINGS], MONDAY, MONDAY + timedelta(days=6), UTC_ZONE, existing=[by_hand])
    assert sessions == []


def test_sessions_already_begun_are_left_out() -> None:
    now = datetime(2030, 3, 4, 10, tzinfo=UTC)
    sessions = plan([MORNINGS], MONDAY, MONDAY + timedelta(days=7), UTC_ZONE, not_before=now)
    assert [s.day for s in sessions] == [MONDAY + timedelta(weeks=1)]


def test_local_times_hold_across_a_daylight_saving_change() -> None:
    # Lisbon moves from UTC+0 to UTC+1 on Sunday 31 March 2030: 09:00 stays 09:00 locally.
    sessions = plan([MORNINGS], date(2030, 3, 25), date(2030, 4, 7), LISBON)
    assert [s.starts_at for s in sessions] == [
        datetime(2030, 3, 25, 9, tzinfo=UTC),
        datetime(2030, 4, 1, 8, tzinfo=UTC),
    ]
    assert [s.starts_at.astimezone(LISBON).time() for s in sessions] == [time(9), time(9)]
    assert all(s.ends_at - s.starts_at == timedelta(hours=4) for s in sessions)


def test_a_session_across_the_night_of_the_change_keeps_its_wall_clock_end() -> None:
    # A Sunday session 00:30-05:00 on the night Lisbon skips 01:00-02:00 lasts 3.5 real hours.
    night = Template(
        id=3, doctor_id=7, weekday=6, start=time(0, 30), end=time(5), valid_from=MONDAY
    )
    [session] = plan([night], date(2030, 3, 31), date(2030, 3, 31), LISBON)
    assert session.ends_at - session.starts_at == timedelta(hours=3, minutes=30)


def test_templates_overlap_only_on_the_same_weekday_times_and_validity() -> None:
    later = Template(id=2, doctor_id=7, weekday=0, start=time(12), end=time(16), valid_from=MONDAY)
    assert overlapping(MORNINGS, later)
    afternoon = Template(
        id=2, doctor_id=7, weekday=0, start=time(13), end=time(16), valid_from=MONDAY
    )
    assert not overlapping(MORNINGS, afternoon)  # back to back
    ended = Template(
        id=1,
        doctor_id=7,
        weekday=0,
        start=time(9),
        end=time(13),
        valid_from=date(2029, 1, 1),
        valid_to=MONDAY - timedelta(days=1),
    )
    assert not overlapping(ended, later)
    tuesday = Template(id=2, doctor_id=7, weekday=1, start=time(9), end=time(13), valid_from=MONDAY)
    assert not overlapping(MORNINGS, tuesday)


def test_an_edit_keeps_the_sessions_it_still_makes_the_same() -> None:
    existing = Existing(
        7, datetime(2030, 3, 4, 9, tzinfo=UTC), datetime(2030, 3, 4, 13, tzinfo=UTC), 15
    )
    assert still_planned(MORNINGS, MONDAY, UTC_ZONE, existing)
    shorter = Template(id=1, doctor_id=7, weekday=0, start=time(9), end=time(12), valid_from=MONDAY)
    assert not still_planned(shorter, MONDAY, UTC_ZONE, existing)
    longer_slots = Template(
        id=1,
        doctor_id=7,
        weekday=0,
        start=time(9),
        end=time(13),
        valid_from=MONDAY,
        slot_minutes=20,
    )
    assert not still_planned(longer_slots, MONDAY, UTC_ZONE, existing)
