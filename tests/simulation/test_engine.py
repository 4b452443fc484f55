"""The simulator drives the real actions: exact figures on a tiny day, common random numbers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from server.simulation.engine import RunConfig, run_policy
from server.simulation.measure import measure
from server.simulation.params import DEFAULTS
from server.simulation.policies import policy
from server.simulation.scenario import (
    BookingRequest,
    DayScenario,
    DepartmentSpec,
    DoctorSpec,
    Layout,
    PatientSpec,
    Scenario,
    SessionSpec,
)
from server.simulation.study import Study, headline_json, run_study

DAY = date(2030, 3, 4)


def t(hour: int, minute: int) -> datetime:
    return datetime(2030, 3, 4, hour, minute, tzinfo=UTC)


def tiny_day() -> Scenario:
    """One doctor 09:00-10:00, three punctual patients needing 20, 10 and 15 minutes."""
    layout = Layout(
        departments=(DepartmentSpec("U001", "Unit", "A", 0.2),),
        doctors=(DoctorSpec("U001-D1", "U001", "Dr. One", "Room 1"),),
        sessions=(SessionSpec("U001-D1", DAY, t(9, 0), t(10, 0), 15),),
        simulated=("U001",),
    )
    requests = tuple(
        BookingRequest(
            key=f"R{i}",
            patient=f"P{i}",
            department="U001",
            day=DAY,
            requested_at=t(9, 0) - timedelta(days=3, minutes=10 - i),
            preferred_at=t(9, 15 * i),
            shows=True,
            punctuality_min=0.0,
            consult_min=minutes,
        )
        for i, minutes in enumerate((20.0, 10.0, 15.0))
    )
    patients = {
        f"P{i}": PatientSpec(f"P{i}", f"Patient {i}", date(1980, 1, 1), "F") for i in range(3)
    }
    return Scenario(layout, patients, (), (DayScenario(DAY, requests, (), (), ()),), DEFAULTS, 0, 0)


@pytest.mark.parametrize("name", ["fcfs", "flat"])
async def test_a_tiny_day_gives_exact_figures(tmp_path: Path, name: str) -> None:
    config = RunConfig(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sim.sqlite3'}")
    figures = measure(await run_policy(tiny_day(), policy(name), config))
    # Seen 09:00-09:20, 09:20-09:30 (arrived 09:15: waited 5), 09:30-09:45.
    assert figures["seen"] == 3 and figures["unseen"] == 0 and figures["refused"] == 0
    assert figures["utilisation"] == 0.75
    assert figures["wait_mean_min"] == 1.7
    assert figures["wait_p90_min"] == 4.0
    assert figures["overtime_mean_min"] == 0.0
    assert figures["idle_min"] == 15.0


async def test_a_patient_who_never_comes_is_marked_and_frees_the_doctor(tmp_path: Path) -> None:
    scenario = tiny_day()
    day = scenario.days[0]
    first = replace(day.requests[0], shows=False)
    scenario = replace(scenario, days=(replace(day, requests=(first, *day.requests[1:])),))
    config = RunConfig(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sim.sqlite3'}")
    result = await run_policy(scenario, policy("fcfs"), config)
    statuses = sorted(v["status"].value for v in result.visits)
    assert statuses == ["completed", "completed", "no_show"]
    assert measure(result)["wait_mean_min"] == 0.0


def _study(tmp_path: Path, seed: int) -> Study:
    return Study(
        policies=("fcfs", "flat"),
        days=1,
        replications=1,
        seed=seed,
        workers=1,
        synthetic_patients=500,
        models_dir=tmp_path / "no-models",
    )


@pytest.mark.slow
def test_the_same_seed_gives_the_same_json_and_policies_share_their_draws(
    tmp_path: Path,
) -> None:
    first = run_study(_study(tmp_path, 4))
    second = run_study(_study(tmp_path, 4))

    def stable(outcome: object) -> str:
        line = headline_json(outcome)  # type: ignore[arg-type]
        for row in line["policies"]:
            row.pop("wall_s")
        line.pop("wall_s")
        return json.dumps(line, sort_keys=True)

    assert stable(first) == stable(second)
    fcfs, flat = (r for r in first.runs)
    # Common random numbers: the same booking requests reach both policies.
    assert fcfs["requests"] == flat["requests"]
    assert fcfs["policy"] == "fcfs" and flat["policy"] == "flat"
