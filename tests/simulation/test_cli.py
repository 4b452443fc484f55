"""`clinic simulate` on a file in the Vitória format: the outputs and the one JSON line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.simulation.scenario import synthetic_records

VITORIA = [
    "PatientId",
    "AppointmentID",
    "Gender",
    "ScheduledDay",
    "AppointmentDay",
    "Age",
    "Neighbourhood",
    "Scholarship",
    "Hipertension",
    "Diabetes",
    "Alcoholism",
    "Handcap",
    "SMS_received",
    "No_show",
]


def write_vitoria(path: Path) -> None:
    """Write synthetic rows in the column format of the Vitória file."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(VITORIA)
        for r in synthetic_records(11, days=1, patients=400):
            out.writerow(
                [
                    f"{int(r.patient_key[1:]) + 1000}.0",
                    r.appointment_key[1:],
                    r.sex,
                    r.booked_at.isoformat(sep=" "),
                    r.appointment_day.isoformat(),
                    r.age,
                    (r.department or "").upper(),
                    0,
                    int(r.hypertension),
                    int(r.diabetes),
                    0,
                    0,
                    int(r.reminder_sent),
                    "Yes" if r.no_show else "No",
                ]
            )


@pytest.mark.slow
def test_simulate_writes_its_outputs_and_prints_one_json_line(tmp_path: Path) -> None:
    data = tmp_path / "appointments.csv"
    write_vitoria(data)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--policies",
            "fcfs,predictive",
            "--days",
            "1",
            "--replications",
            "1",
            "--appointments",
            str(data),
            "--train",
            str(data),
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert (line["days"], line["replications"], line["seed"]) == (1, 1, 1)
    assert [p["name"] for p in line["policies"]] == ["fcfs", "predictive"]
    keys = {
        "utilisation",
        "utilisation_ci95",
        "wait_mean_min",
        "wait_p90_min",
        "overtime_mean_min",
        "emergency_p95_min",
        "seen",
        "unseen",
        "eta_error_p50_min",
        "eta_error_p90_min",
        "next_true_share",
        "wall_s",
    }
    assert keys <= set(line["policies"][0])
    assert line["policies"][0]["seen"] > 0
    for name in (
        "results.json",
        "results.md",
        "report.html",
        "waits.png",
        "utilisation_overtime.png",
        "queue_by_hour.png",
    ):
        assert (out / name).stat().st_size > 0, name


def test_an_unknown_policy_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["simulate", "--policies", "fcfs,lottery"])
    assert result.exit_code == 2
    assert "unknown policy 'lottery'" in result.output
