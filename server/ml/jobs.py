"""Nightly work for the no-show model: retrain, keep the better model, rescore bookings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server.ml.dataset import sort_by_time
from server.ml.features import ApptRecord, build_features, labels
from server.ml.metrics import probability_scores
from server.ml.predict import NoShowPredictor
from server.ml.registry import ModelFileError, active_version, load_model, save_model
from server.ml.training import choose, predict, train_one, validate, validation_cut

log = logging.getLogger(__name__)

MIN_TRAINING_ROWS = 500
# A new model must beat the old one's Brier score on the same recent days by this much.
MIN_IMPROVEMENT = 0.0


@dataclass(frozen=True)
class RetrainResult:
    """What the nightly retrain did and why."""

    activated: bool
    reason: str
    version: str | None
    new_brier: float | None = None
    old_brier: float | None = None


def _retrain(history: Sequence[ApptRecord], registry_dir: Path) -> RetrainResult:
    done = [r for r in sort_by_time(history) if r.no_show is not None]
    if len(done) < MIN_TRAINING_ROWS:
        return RetrainResult(False, f"only {len(done)} completed appointments", None)
    x, y = build_features(done).values, labels(done)
    cut = validation_cut([r.appointment_day for r in done])
    recent = np.fromiter((r.appointment_day >= cut for r in done), dtype=bool, count=len(done))
    validation = validate(done, x)
    name = choose(validation)
    new_brier = validation[name]["brier"]
    old_brier = _old_brier(registry_dir, x[recent], y[recent], float(y[~recent].mean()))
    if old_brier is not None and (new_brier is None or new_brier > old_brier - MIN_IMPROVEMENT):
        return RetrainResult(
            False, "new model is not better", active_version(registry_dir), new_brier, old_brier
        )
    meta = save_model(registry_dir, train_one(name, done, x, validation[name]))
    return RetrainResult(True, f"activated {name}", meta.version, new_brier, old_brier)


def _old_brier(
    registry_dir: Path, x: np.typing.NDArray[np.float64], y: np.typing.NDArray[np.int_], rate: float
) -> float | None:
    version = active_version(registry_dir)
    if version is None:
        return None
    try:
        old, _ = load_model(registry_dir / f"{version}.skops")
    except ModelFileError as exc:
        log.error("active model unusable, replacing it: %s", exc)
        return None
    # The old model may have trained on these days: its score is optimistic, which only
    # makes keeping it more likely.
    return probability_scores(y, predict(old.estimator, x), rate)["brier"]


async def retrain_if_better(history: Sequence[ApptRecord], registry_dir: Path) -> RetrainResult:
    """Retrain on completed history and activate the result only if it beats the old model.

    Both are scored on the most recent days of history; the new one is fitted without them.
    Training runs in a thread so the event loop keeps serving.
    """
    result = await asyncio.to_thread(_retrain, history, registry_dir)
    log.info("no-show retrain: %s", result)
    return result


def rescore(predictor: NoShowPredictor, history: Sequence[ApptRecord]) -> dict[str, float]:
    """Return a fresh probability for every appointment without an outcome, by key."""
    open_ = [r for r in history if r.no_show is None]
    return dict(
        zip(
            (r.appointment_key for r in open_),
            predictor.predict_many(open_, history),
            strict=True,
        )
    )
