from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.ml import jobs
from server.ml.cli import ml_group
from server.ml.dataset import read_csv, write_csv
from server.ml.evaluation import split_by_date
from server.ml.features import ApptRecord
from server.ml.models import CANDIDATES
from server.ml.predict import BaseRatePredictor
from server.ml.registry import active_version, load_active, versions
from tests.ml.conftest import REAL_DATA


async def test_retrain_activates_then_keeps_the_better_model(
    tmp_path: Path, small_history: list[ApptRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await jobs.retrain_if_better(small_history, tmp_path)
    assert first.activated and active_version(tmp_path) == first.version
    # Demand an impossible improvement: the old model must stay active.
    monkeypatch.setattr(jobs, "MIN_IMPROVEMENT", 1.0)
    second = await jobs.retrain_if_better(small_history, tmp_path)
    assert not second.activated and second.version == first.version
    assert len(versions(tmp_path)) == 1


async def test_retrain_needs_enough_history(
    tmp_path: Path, small_history: list[ApptRecord]
) -> None:
    result = await jobs.retrain_if_better(small_history[:10], tmp_path)
    assert not result.activated and active_version(tmp_path) is None


def test_rescore_gives_every_open_booking_a_probability(small_history: list[ApptRecord]) -> None:
    open_ = [replace(r, no_show=None) for r in small_history[-5:]]
    scores = jobs.rescore(BaseRatePredictor(0.3), [*small_history[:-5], *open_])
    assert scores == {r.appointment_key: 0.3 for r in open_}


def test_evaluate_prints_one_json_object(tmp_path: Path, small_history: list[ApptRecord]) -> None:
    train, test = split_by_date(
        small_history, small_history[len(small_history) * 3 // 4].appointment_day
    )
    write_csv(tmp_path / "a.csv", train)
    write_csv(tmp_path / "b.csv", test)
    assert read_csv(tmp_path / "a.csv") == train
    result = CliRunner().invoke(
        ml_group,
        ["evaluate", "--train", str(tmp_path / "a.csv"), "--test", str(tmp_path / "b.csv")],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [m["model"] for m in out["models"]] == list(CANDIDATES)
    assert out["best"] in CANDIDATES
    assert out["setting"] == "nightly"
    assert set(out["booking_time"]) == set(CANDIDATES)
    for row in out["models"]:
        keys = {"auc", "brier", "brier_skill", "logloss", "n_train", "n_test", "base_rate"}
        assert keys <= row.keys()
        assert row["n_train"] == len(train) and row["n_test"] == len(test)


def test_split_date_and_two_files_print_the_same_figures(
    tmp_path: Path, small_history: list[ApptRecord]
) -> None:
    split = small_history[len(small_history) * 3 // 4].appointment_day
    train, test = split_by_date(small_history, split)
    for name, rows in (("all", small_history), ("a", train), ("b", test)):
        write_csv(tmp_path / f"{name}.csv", rows)
    runner, models = CliRunner(), ["--models", "logreg,hgb"]
    by_files = runner.invoke(
        ml_group,
        [
            "evaluate",
            "--train",
            str(tmp_path / "a.csv"),
            "--test",
            str(tmp_path / "b.csv"),
            *models,
        ],
    )
    by_date = runner.invoke(
        ml_group,
        ["evaluate", "--data", str(tmp_path / "all.csv"), "--split-date", str(split), *models],
    )
    assert by_files.exit_code == 0 and by_date.exit_code == 0, by_files.output + by_date.output

    def figures(stdout: str) -> dict[str, object]:
        out = json.loads(stdout)
        for row in out["models"]:
            del row["fit_seconds"]  # wall-clock time, the only figure that may differ
        return dict(out)

    assert figures(by_files.stdout) == figures(by_date.stdout)


def test_train_then_report(tmp_path: Path, small_history: list[ApptRecord]) -> None:
    write_csv(tmp_path / "h.csv", small_history)
    registry = tmp_path / "models"
    runner = CliRunner()
    trained = runner.invoke(
        ml_group,
        [
            "train",
            "--data",
            str(tmp_path / "h.csv"),
            "--registry",
            str(registry),
            "--models",
            "logreg,hgb",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert load_active(registry, 0.2).version == json.loads(trained.stdout)["saved"]
    split = small_history[len(small_history) * 3 // 4].appointment_day.isoformat()
    report = runner.invoke(
        ml_group,
        [
            "report",
            "--data",
            str(tmp_path / "h.csv"),
            "--split-date",
            split,
            "--models",
            "logreg,hgb",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert report.exit_code == 0, report.output
    for name in ("index.html", "roc.png", "calibration.png", "importance.png"):
        assert (tmp_path / "r" / name).stat().st_size > 0


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="real Vitória data not present")
def test_real_file_loads_with_its_traps_handled() -> None:
    records = read_csv(REAL_DATA / "vitoria_2016_appointments.csv")
    assert len(records) == 31918
    assert abs(sum(bool(r.no_show) for r in records) / len(records) - 0.21) < 0.005
    assert all(r.patient_key.isdigit() for r in records[:100])


def test_vitoria_format_traps(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,Neighbourhood,Scholarship,"
        "Hipertension,Diabetes,Alcoholism,Handcap,SMS_received,No_show\n"
        "558997776694438.0,2,M,2016-04-29T16:08:27Z,2016-04-29T00:00:00Z,-1,CENTRO,0,1,0,0,2,0,Yes\n"
        "29872499824296.0,1,F,2016-04-20 18:38:08,2016-04-29,62.0,CENTRO,1,0,1,0,0,1,No\n"
    )
    first, second = read_csv(path)  # sorted by day, then booking time
    assert first.patient_key == "29872499824296" and first.no_show is False
    assert second.patient_key == "558997776694438" and second.no_show is True
    assert second.age is None and second.handicap == 2 and second.hypertension
