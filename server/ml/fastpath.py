"""A numpy scorer for one row of a fitted gradient-boosting model.

scikit-learn spends milliseconds per call on checks and thread start-up, which breaks the
2 ms budget for scoring a booking; walking all trees at once with numpy takes microseconds.
It reads HistGradientBoostingClassifier's private tree arrays, so it is used only after it
reproduces the library's own probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier

from server.ml.features import FloatArray

RowScorer = Callable[[FloatArray], float]
_CHECK_ROWS = 64
_TOLERANCE = 1e-9


def _stack(trees: list[Any]) -> dict[str, npt.NDArray[Any]]:
    width = max(len(t.nodes) for t in trees)

    def field(name: str, fill: float) -> npt.NDArray[Any]:
        out = np.full((len(trees), width), fill, dtype=np.float64)
        for i, t in enumerate(trees):
            out[i, : len(t.nodes)] = t.nodes[name]
        return out

    return {
        "feature": field("feature_idx", 0).astype(np.intp),
        "threshold": field("num_threshold", 0.0),
        "left": field("left", 0).astype(np.intp),
        "right": field("right", 0).astype(np.intp),
        "leaf": field("is_leaf", 1).astype(bool),
        "value": field("value", 0.0),
        "depth": np.asarray([int(t.nodes["depth"].max()) for t in trees]),
    }


def _hgb_scorer(model: HistGradientBoostingClassifier) -> RowScorer | None:
    trees = [per_class[0] for per_class in model._predictors]
    if not trees or any(t.nodes["is_categorical"].any() for t in trees):
        return None
    a = _stack(trees)
    rows = np.arange(len(trees))
    baseline = float(np.ravel(model._baseline_prediction)[0])
    max_depth = int(a["depth"].max())

    def score(x: FloatArray) -> float:
        row = x[0]
        node = np.zeros(len(trees), dtype=np.intp)
        for _ in range(max_depth):
            f, leaf = a["feature"][rows, node], a["leaf"][rows, node]
            go_left = row[f] <= a["threshold"][rows, node]
            step = np.where(go_left, a["left"][rows, node], a["right"][rows, node])
            node = np.where(leaf, node, step)
        raw = baseline + float(a["value"][rows, node].sum())
        return 1.0 / (1.0 + math.exp(-raw))

    return score


def compile_scorer(estimator: Any, n_features: int) -> RowScorer | None:
    """Return a fast one-row scorer that matches ``estimator``, or None when there is none."""
    if not isinstance(estimator, HistGradientBoostingClassifier):
        return None
    try:
        scorer = _hgb_scorer(estimator)
    except (AttributeError, KeyError, ValueError, IndexError):
        return None
    if scorer is None:
        return None
    # Check against the library on spread-out rows; any difference disables the fast path.
    rng = np.random.default_rng(0)
    probe = rng.normal(0, 20, size=(_CHECK_ROWS, n_features)).round()
    expected = estimator.predict_proba(probe)[:, 1]
    got = np.asarray([scorer(probe[i : i + 1]) for i in range(_CHECK_ROWS)])
    return scorer if np.allclose(got, expected, atol=_TOLERANCE, rtol=0) else None
