"""A category-less simulated day and what every patient was shown: recorded before priority
categories existed, so the test can hold today's code to exactly the same plans.

Regenerate only on purpose: `python -m tests.simulation.baseline_day OUT.json`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from server.simulation.engine import RunConfig, RunResult, run_policy
from server.simulation.params import DEFAULTS
from server.simulation.policies import policy
from server.simulation.scenario import (
    Arrival,
    BookingRequest,
    DayScenario,
    DepartmentSpec,
    DoctorSpec,
    Layout,
    PatientSpec,
    Scenario,
    SessionSpec,
)

DAY = date(2030, 3, 4)
GOLDEN = Path(__file__).with_name("baseline_day.json")


def at(hour: int, minute: int) -> datetime:
    """Return a moment of the simulated day."""
    return datetime(2030, 3, 4, hour, tzinfo=UTC) + timedelta(minutes=minute)


def busy_day() -> Scenario:
    """Two doctors 09:00-11:00; bookings early and late, walk-ins, one emergency."""
    layout = Layout(
        departments=(DepartmentSpec("U001", "Unit", "A", 0.2),),
        doctors=(
            DoctorSpec("U001-D1", "U001", "Dr. One", "Room 1"),
            DoctorSpec("U001-D2", "U001", "Dr. Two", "Room 2"),
        ),
        sessions=(
            SessionSpec("U001-D1", DAY, at(9, 0), at(11, 0), 15),
            SessionSpec("U001-D2", DAY, at(9, 0), at(11, 0), 15),
        ),
        simulated=("U001",),
    )
    punctuality = (-20.0, 5.0, -3.0, 12.0, 0.0, -10.0, 25.0, 2.0, -15.0, 8.0, 1.0, -5.0)
    lengths = (18.0, 9.0, 14.0, 22.0, 11.0, 7.0, 16.0, 13.0, 20.0, 10.0, 12.0, 15.0)
    requests = tuple(
        BookingRequest(
            key=f"R{i}",
            patient=f"P{i}",
            department="U001",
            day=DAY,
            requested_at=at(9, 0) - timedelta(days=2, minutes=30 - i),
            preferred_at=at(9, 10 * i) if i < 6 else at(10, 10 * (i - 6)),
            shows=i != 4,
            punctuality_min=punctuality[i],
            consult_min=lengths[i],
        )
        for i in range(12)
    )
    walk_ins = tuple(
        Arrival(f"W{i}", f"Q{i}", "U001", at(9, 5 + 17 * i), 8.0 + 3 * i, "walk_in")
        for i in range(5)
    )
    emergencies = (Arrival("E0", "E0", "U001", at(9, 40), 12.0, "emergency"),)
    people = [f"P{i}" for i in range(12)] + [f"Q{i}" for i in range(5)] + ["E0"]
    patients = {p: PatientSpec(p, f"Patient {p}", date(1970, 1, 1), "F") for p in people}
    days = (DayScenario(DAY, requests, walk_ins, emergencies, ()),)
    return Scenario(layout, patients, (), days, DEFAULTS, 0, 0)


def summary(result: RunResult) -> dict[str, Any]:
    """Return what the day showed and did, in plain JSON."""
    return {
        "shown": [
            [s.ticket_id, s.at.isoformat(), s.position, s.wait_min, s.doctor_id]
            for s in result.shown
        ],
        "visits": sorted(
            [
                v["id"],
                v["doctor_id"],
                v["status"].value,
                v["called_at"].isoformat() if v["called_at"] else None,
            ]
            for v in result.visits
        ),
    }


async def play(directory: Path) -> dict[str, Any]:
    """Play the day under the first-come policy (greedy plans only) and summarise it."""
    config = RunConfig(database_url=f"sqlite+aiosqlite:///{directory / 'sim.sqlite3'}")
    return summary(await run_policy(busy_day(), policy("fcfs"), config))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(play(Path(tmp)))
    Path(sys.argv[1] if len(sys.argv) > 1 else GOLDEN).write_text(json.dumps(found) + "\n")
