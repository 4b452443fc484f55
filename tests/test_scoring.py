"""Each booking is scored by the active no-show model, or by its department's rate."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.auth.actor import SYSTEM
from server.ml.jobs import retrain_if_better
from server.ml.synth import generate
from server.scoring import ModelScorer
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    directory = tmp_path_factory.mktemp("models")
    result = asyncio.run(retrain_if_better(generate(n_patients=400, days=30, seed=3), directory))
    assert result.activated, result.reason
    return directory


async def book_with(db: AsyncSession, scorer: ModelScorer, rate: float = 0.2) -> float | None:
    department = await make_department(db)
    department.base_no_show_rate = rate
    doctor = await make_doctor(db, department)
    await make_session(db, doctor)
    patient = await make_patient(db)
    ticket = await booking.book(
        db,
        SYSTEM,
        patient_id=patient.id,
        choice=booking.SlotChoice(doctor_id=doctor.id, starts_at=T0 + timedelta(hours=1)),
        now=T0 - timedelta(days=10),
        scorer=scorer,
    )
    return ticket.appointment.no_show_probability


async def test_a_booking_is_scored_by_the_active_model(db: AsyncSession, registry: Path) -> None:
    scorer = ModelScorer(registry)
    probability = await book_with(db, scorer, rate=0.5)
    assert scorer.predictor.version != "base-rate"
    assert probability is not None and 0.0 < probability < 1.0 and probability != 0.5


async def test_without_a_model_the_department_rate_is_used(
    db: AsyncSession, tmp_path: Path
) -> None:
    assert await book_with(db, ModelScorer(tmp_path / "empty"), rate=0.35) == 0.35


@pytest.fixture
def broken_registry(registry: Path, tmp_path: Path) -> Path:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in registry.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    for model in broken.glob("*.skops"):
        model.write_bytes(b"not a model")
    return broken


async def test_a_corrupted_model_file_leaves_the_department_rate(
    db: AsyncSession, broken_registry: Path
) -> None:
    assert await book_with(db, ModelScorer(broken_registry), rate=0.3) == 0.3


async def test_a_new_model_loads_off_the_loop_while_bookings_use_the_old_one(
    db: AsyncSession, registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from server import scoring

    live = tmp_path / "live"
    scorer = ModelScorer(live, check_s=0)  # no model yet: the department's rate
    shutil.copytree(registry, live, dirs_exist_ok=True)  # the nightly retrain activates one
    release = threading.Event()
    real_load = scoring.load_active

    def slow_load(*args: Any) -> Any:
        release.wait(5)  # a big model unpacking; the loop must not wait for it
        return real_load(*args)

    monkeypatch.setattr(scoring, "load_active", slow_load)
    assert await book_with(db, scorer, rate=0.35) == 0.35  # the old one, at once
    release.set()
    await scorer.settled()
    assert scorer.predictor.version != "base-rate"
    probability = await book_with(db, scorer, rate=0.35)
    assert probability is not None and probability != 0.35
