"""Shared synthetic data and one trained model for the no-show tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.ml.features import ApptRecord, build_features
from server.ml.synth import generate, generate_with_truth
from server.ml.training import TrainedModel, train_one

REAL_DATA = Path(__file__).resolve().parents[2] / "../shared/data/noshow"


@pytest.fixture(scope="session")
def small_history() -> list[ApptRecord]:
    return generate(n_patients=400, days=40, seed=3)


@pytest.fixture(scope="session")
def truth_history() -> tuple[list[ApptRecord], list[float]]:
    return generate_with_truth(n_patients=2500, days=60, seed=7)


@pytest.fixture(scope="session")
def trained_hgb(small_history: list[ApptRecord]) -> TrainedModel:
    x = build_features(small_history).values
    return train_one("hgb", small_history, x, {"brier": 0.2})
