"""A comparison: policies x replications over a scenario's days, in parallel processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.ml.dataset import read_csv
from server.ml.features import ApptRecord
from server.simulation.engine import RunConfig, run_policy, train_model
from server.simulation.measure import mean_ci, measure
from server.simulation.params import DEFAULTS, Parameters
from server.simulation.policies import policy
from server.simulation.scenario import build_scenario, synthetic_records

HEADLINE = (
    "utilisation",
    "wait_mean_min",
    "wait_p90_min",
    "overtime_mean_min",
    "emergency_p95_min",
    "seen",
    "unseen",
    "eta_error_p50_min",
    "eta_error_p90_min",
    "next_true_share",
)


@dataclass(frozen=True)
class Study:
    """What to compare and on what."""

    policies: tuple[str, ...]
    days: int = 5
    replications: int = 3
    seed: int = 1
    appointments: Path | None = None
    train: Path | None = None
    models_dir: Path | None = None
    database_url: str | None = None
    max_departments: int | None = None
    workers: int = 2
    resequence_time_limit_s: float = 0.3
    allocation_time_limit_s: float = 2.0
    params: Parameters = DEFAULTS
    synthetic_patients: int = 2400


@dataclass
class Outcome:
    """Every run's figures and the aggregate per policy."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


_RECORDS: list[ApptRecord] = []


def load_records(study: Study) -> list[ApptRecord]:
    """Read the demand rows: the appointments file, or synthetic ones from the seed."""
    if study.appointments is not None:
        return read_csv(study.appointments)
    return synthetic_records(study.seed, days=study.days, patients=study.synthetic_patients)


def _init(records: list[ApptRecord]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _RECORDS[:] = records


def _one(study: Study, name: str, replication: int, workdir: str) -> dict[str, Any]:
    scenario = build_scenario(
        _RECORDS,
        days=study.days,
        seed=study.seed,
        replication=replication,
        params=study.params,
        max_departments=study.max_departments,
    )
    url = study.database_url or f"sqlite+aiosqlite:///{workdir}/{name}-{replication}.sqlite3"
    config = RunConfig(
        database_url=url,
        models_dir=study.models_dir,
        resequence_time_limit_s=study.resequence_time_limit_s,
        allocation_time_limit_s=study.allocation_time_limit_s,
    )
    result = asyncio.run(run_policy(scenario, policy(name), config))
    figures = measure(result)
    figures.update(policy=name, replication=replication)
    figures["queue_by_hour"] = queue_by_hour(result.visits)
    figures["waits"] = [w for v in result.visits if (w := _wait(v)) is not None]
    if study.database_url is None:
        Path(workdir, f"{name}-{replication}.sqlite3").unlink(missing_ok=True)
    return figures


def _wait(v: dict[str, Any]) -> float | None:
    if v["checked_in_at"] is None or v["called_at"] is None:
        return None
    begin = max(v["checked_in_at"], v["scheduled_at"] or v["checked_in_at"])
    return float(round(max(0.0, (v["called_at"] - begin).total_seconds() / 60), 1))


def queue_by_hour(visits: Sequence[dict[str, Any]]) -> list[float]:
    """Return the mean number waiting at each hour of the day (on the hour, over the days)."""
    days = {v["day"] for v in visits}
    counts = [0.0] * 24
    for v in visits:
        start, end = v["checked_in_at"], v["called_at"]
        if start is None:
            continue
        for hour in range(24):
            moment = start.replace(hour=hour, minute=0, second=0, microsecond=0)
            if start <= moment and (end is None or moment < end) and moment.date() == v["day"]:
                counts[hour] += 1
    return [round(c / max(1, len(days)), 2) for c in counts]


def run_study(study: Study, progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Train if asked, then run every (policy, replication) and aggregate."""
    started = time.perf_counter()
    records = load_records(study)
    # Memory-backed where there is one: the databases are scratch, their fsyncs only cost.
    shm = Path("/dev/shm")
    workdir = tempfile.mkdtemp(prefix="clinic-sim-", dir=shm if shm.is_dir() else None)
    if study.train is not None or study.models_dir is None:
        study = _with_model(study, records, workdir)
    tasks = [(p, r) for r in range(study.replications) for p in study.policies]
    outcome = Outcome()
    done = 0
    with ProcessPoolExecutor(
        max_workers=max(1, study.workers) if study.database_url is None else 1,
        initializer=_init,
        initargs=(records,),
    ) as pool:
        futures = [pool.submit(_one, study, p, r, workdir) for p, r in tasks]
        for future in as_completed(futures):
            outcome.runs.append(future.result())
            done += 1
            if progress:
                progress(done, len(tasks))
    shutil.rmtree(workdir, ignore_errors=True)
    outcome.runs.sort(key=lambda r: (study.policies.index(r["policy"]), r["replication"]))
    outcome.policies = [aggregate(name, outcome.runs) for name in study.policies]
    outcome.meta = {
        "days": study.days,
        "replications": study.replications,
        "seed": study.seed,
        "appointments": str(study.appointments) if study.appointments else "synthetic",
        "max_departments": study.max_departments,
        "params": study.params.as_dict(),
        "wall_s": round(time.perf_counter() - started, 1),
        "models_dir": str(study.models_dir) if study.models_dir else None,
    }
    return outcome


def _with_model(study: Study, records: list[ApptRecord], workdir: str) -> Study:
    history = read_csv(study.train) if study.train is not None else records
    scenario = build_scenario(
        records, days=study.days, seed=study.seed, max_departments=study.max_departments
    )
    first = scenario.days[0].day
    training = build_scenario(
        [r for r in history if r.appointment_day < first] + list(_simulated(records, first)),
        days=study.days,
        seed=study.seed,
    )
    registry = Path(workdir) / "models"
    url = f"sqlite+aiosqlite:///{workdir}/train.sqlite3"
    asyncio.run(train_model(training, url, registry))
    return Study(**{**study.__dict__, "models_dir": registry})


def _simulated(records: list[ApptRecord], first: Any) -> list[ApptRecord]:
    # Only so that build_scenario finds the same simulated days; their rows are not trained on.
    return [r for r in records if r.appointment_day >= first]


def aggregate(name: str, runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average a policy's replications, with 95 % intervals for the headline figures."""
    mine = [r for r in runs if r["policy"] == name]
    row: dict[str, Any] = {"name": name}
    for key in (
        *HEADLINE,
        "refused",
        "overbooked_all_came",
        "idle_min",
        "overtime_p90_min",
        "wait_p50_min",
        "positions_rose_without_emergency",
    ):
        mean, ci = mean_ci([r.get(key) for r in mine])
        row[key] = None if mean is None else round(mean, 4 if key == "utilisation" else 2)
        row[f"{key}_ci95"] = None if ci is None else [round(x, 4) for x in ci]
    row["wall_s"] = round(sum(r["wall_s"] for r in mine), 1)
    return row


def headline_json(outcome: Outcome) -> dict[str, Any]:
    """The one JSON line: per policy the issue's keys, with 95 % intervals."""
    keys = ("name", "utilisation", "utilisation_ci95", *HEADLINE[1:], "wall_s")
    policies = []
    for p in outcome.policies:
        row = {k: p.get(k) for k in keys}
        row.update({f"{k}_ci95": p.get(f"{k}_ci95") for k in HEADLINE if k != "utilisation"})
        policies.append(row)
    return {
        "policies": policies,
        "days": outcome.meta["days"],
        "replications": outcome.meta["replications"],
        "seed": outcome.meta["seed"],
        "wall_s": outcome.meta["wall_s"],
    }
