"""The generator's known effects come back out of the features and the trained model."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
from sklearn.linear_model import LogisticRegression

from server.ml import synth
from server.ml.features import FEATURE_NAMES, ApptRecord, build_features, labels
from server.ml.metrics import probability_scores
from server.ml.training import select_and_train


def col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, FEATURE_NAMES.index(name)]


def test_logistic_fit_on_features_recovers_the_true_coefficients(
    truth_history: tuple[list[ApptRecord], list[float]],
) -> None:
    records, _ = truth_history
    x, y = build_features(records).values, labels(records)
    prior = col(x, "prior_appts")
    rate = np.where(prior > 0, col(x, "prior_no_shows") / np.maximum(prior, 1), 0.0)
    age, weekday = col(x, "age"), col(x, "weekday")
    design = np.column_stack(
        [
            col(x, "log_lead"),
            rate,
            (age >= 18) & (age < 36),
            age >= 65,
            weekday == 0,
            weekday == 4,
            col(x, "reminder_sent"),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = LogisticRegression(C=1e4, max_iter=1000).fit(design, y)
    truth = [
        synth.B_LEAD,
        synth.B_HISTORY,
        synth.B_YOUNG_ADULT,
        synth.B_ELDERLY,
        synth.WEEKDAY_EFFECT[0],
        synth.WEEKDAY_EFFECT[4],
        synth.B_REMINDER,
    ]
    np.testing.assert_allclose(fit.coef_[0], truth, atol=0.3)
    assert abs(fit.intercept_[0] - synth.B0) < 0.3


def test_trained_model_is_close_to_the_truth(
    truth_history: tuple[list[ApptRecord], list[float]],
) -> None:
    records, truth = truth_history
    cut = len(records) * 3 // 4
    chosen = select_and_train(records[:cut], candidates=("logreg", "hgb")).best
    test = records[cut:]
    x = build_features(records).values[cut:]
    y = labels(test)
    p = chosen.predict_proba(x)
    model = probability_scores(y, p, chosen.base_rate)
    oracle = probability_scores(y, np.asarray(truth[cut:]), chosen.base_rate)
    assert model["brier"] is not None and oracle["brier"] is not None
    assert model["brier"] < oracle["brier"] + 0.006
    assert np.corrcoef(p, truth[cut:])[0, 1] > 0.85
    # Effects, one at a time, on real rows: longer lead and a bad history raise the risk.
    sample = test[:300]
    history = records

    def mean_logit(rows: list[ApptRecord]) -> float:
        m = build_features([*rows, *history]).values[: len(rows)]
        q = np.clip(chosen.predict_proba(m), 1e-6, 1 - 1e-6)
        return float(np.mean(np.log(q / (1 - q))))

    short = [
        replace(
            r,
            booked_at=r.booked_at.replace(
                year=r.appointment_day.year,
                month=r.appointment_day.month,
                day=r.appointment_day.day,
            ),
        )
        for r in sample
    ]
    shift = mean_logit(sample) - mean_logit(short)
    mean_log_lead = float(
        np.mean([math.log1p((r.appointment_day - r.booked_at.date()).days) for r in sample])
    )
    assert 0.5 * synth.B_LEAD * mean_log_lead < shift < 1.5 * synth.B_LEAD * mean_log_lead
