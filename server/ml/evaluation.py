"""Train on one period, score a later one: the numbers `clinic ml evaluate` prints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from server.ml.dataset import sort_by_time
from server.ml.features import BOOKING, NIGHTLY, ApptRecord, FloatArray, build_features, labels
from server.ml.metrics import probability_scores
from server.ml.models import CANDIDATES
from server.ml.training import Progress, choose, fit, predict, validate


@dataclass(frozen=True)
class Evaluation:
    """Scores of every candidate on the test period, with what the report draws."""

    summary: dict[str, Any]
    models: dict[str, Any]
    predictions: dict[str, FloatArray]
    x_test: FloatArray
    y_test: npt.NDArray[np.int_]


def split_by_date(
    records: Sequence[ApptRecord], first_test_day: date
) -> tuple[list[ApptRecord], list[ApptRecord]]:
    """Split into appointments before ``first_test_day`` and the rest."""
    ordered = sort_by_time(records)
    train = [r for r in ordered if r.appointment_day < first_test_day]
    return train, [r for r in ordered if r.appointment_day >= first_test_day]


def evaluate(
    train: Sequence[ApptRecord],
    test: Sequence[ApptRecord],
    candidates: Sequence[str] = CANDIDATES,
    progress: Progress | None = None,
) -> Evaluation:
    """Fit every candidate on ``train`` and score it on ``test``.

    The headline scores are the nightly rescore's, which overbooking uses: test rows see the
    outcomes of earlier days (training and test) and the bookings made before their day
    starts. ``booking_time`` scores the same models on what was known when each booking
    was made. The choice of the best model uses a split inside ``train`` only.
    """
    train = [r for r in sort_by_time(train) if r.no_show is not None]
    test = [r for r in sort_by_time(test) if r.no_show is not None]
    if progress:
        progress("features")
    x_all = build_features([*train, *test], NIGHTLY).values
    x_booking = build_features([*train, *test], BOOKING).values[len(train) :]
    x_train, x_test = x_all[: len(train)], x_all[len(train) :]
    y_train, y_test = labels(train), labels(test)
    base_rate = float(y_train.mean())
    validation = validate(train, x_train, candidates, progress)
    rows, models, predictions, at_booking = [], {}, {}, {}
    for name in candidates:
        if progress:
            progress(f"fit {name}")
        started = time.perf_counter()
        models[name] = fit(name, x_train, y_train)
        fit_seconds = time.perf_counter() - started
        predictions[name] = predict(models[name], x_test)
        rows.append(
            {
                "model": name,
                **probability_scores(y_test, predictions[name], base_rate),
                "n_train": len(train),
                "n_test": len(test),
                "base_rate": round(base_rate, 4),
                "validation_brier": validation[name]["brier"],
                "validation_auc": validation[name]["auc"],
                "fit_seconds": round(fit_seconds, 2),
            }
        )
        scores = probability_scores(y_test, predict(models[name], x_booking), base_rate)
        at_booking[name] = {k: scores[k] for k in ("auc", "brier", "brier_skill", "logloss")}
    summary = {
        "setting": NIGHTLY,
        "models": rows,
        "best": choose(validation),
        "chosen_by": "validation_brier",
        "booking_time": at_booking,
    }
    return Evaluation(summary, models, predictions, x_test, y_test)
