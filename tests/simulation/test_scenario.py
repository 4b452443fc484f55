"""The scenario rule: deterministic, outcome-blind, the same draws for every policy."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

from server.simulation.params import DEFAULTS
from server.simulation.scenario import (
    build_scenario,
    session_plan,
    synthetic_records,
    synthetic_scenario,
)


def test_the_same_seed_gives_the_same_scenario() -> None:
    assert synthetic_scenario(3, days=2, patients=600) == synthetic_scenario(
        3, days=2, patients=600
    )


def test_replications_redraw_what_the_data_lacks_but_keep_the_rows() -> None:
    records = synthetic_records(5, days=2, patients=600)
    first = build_scenario(records, days=2, seed=5, replication=0)
    second = build_scenario(records, days=2, seed=5, replication=1)
    keys = [[(r.key, r.shows) for r in d.requests] for d in first.days]
    assert keys == [[(r.key, r.shows) for r in d.requests] for d in second.days]
    assert [r.consult_min for r in first.days[0].requests] != [
        r.consult_min for r in second.days[0].requests
    ]


def test_a_request_draws_the_same_whatever_else_is_in_the_data() -> None:
    """Common random numbers: a row's draws depend on its key, not on the other rows."""
    records = synthetic_records(7, days=1, patients=600)
    whole = build_scenario(records, days=1, seed=7)
    day = whole.days[0].day
    kept = [r for r in records if r.appointment_day != day or int(r.appointment_key[1:]) % 2]
    part = build_scenario(kept, days=1, seed=7)
    mine = {r.key: (r.punctuality_min, r.consult_min) for r in whole.days[0].requests}
    for r in part.days[0].requests:
        assert mine[r.key] == (r.punctuality_min, r.consult_min)


def test_every_row_of_a_simulated_day_is_a_request_with_its_own_outcome() -> None:
    records = synthetic_records(9, days=1, patients=600)
    scenario = build_scenario(records, days=1, seed=9)
    day = scenario.days[0].day
    rows = {r.appointment_key: r for r in records if r.appointment_day == day}
    requests = scenario.days[0].requests
    assert {r.key for r in requests} == set(rows)
    assert all(r.shows == (not rows[r.key].no_show) for r in requests)
    assert all(r.appointment_day < day for r in scenario.history)


def test_sessions_hold_the_requests_at_the_base_show_rate() -> None:
    assert session_plan(0, 0.2, DEFAULTS) == []
    assert session_plan(10, 0.2, DEFAULTS) == [8]
    # 100 requests, 80 places: three doctors of 27 slots (32 per full session).
    assert session_plan(100, 0.2, DEFAULTS) == [27, 27, 27]
    scenario = synthetic_scenario(2, days=1, patients=900)
    for spec in scenario.layout.departments:
        requests = sum(r.department == spec.code for r in scenario.days[0].requests)
        doctors = {d.key for d in scenario.layout.doctors if d.department == spec.code}
        slots = sum(s.slots for s in scenario.layout.sessions if s.doctor in doctors)
        assert slots >= math.ceil(requests * (1 - spec.base_no_show_rate))


def test_max_departments_samples_whole_units_by_demand() -> None:
    records = synthetic_records(4, days=1, patients=900)
    scenario = build_scenario(records, days=1, seed=4, max_departments=2)
    assert len(scenario.layout.simulated) == 2
    simulated = set(scenario.layout.simulated)
    assert {r.department for r in scenario.days[0].requests} == simulated


def test_a_synthetic_day_can_be_put_on_any_date() -> None:
    scenario = synthetic_scenario(1, days=1, day=date(2026, 11, 29), patients=600)
    assert scenario.days[0].day == date(2026, 11, 29)
    assert all(s.day == date(2026, 11, 29) for s in scenario.layout.sessions)


def test_parameters_change_only_what_they_name() -> None:
    params = DEFAULTS.replace(walk_ins_per_100_requests=0.0)
    scenario = synthetic_scenario(1, days=1, patients=600, params=params)
    assert scenario.days[0].walk_ins == ()
    assert dataclasses.asdict(params)["consult_mean_min"] == DEFAULTS.consult_mean_min
