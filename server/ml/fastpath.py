"""Numpy scorers for one row of each fitted candidate model.

scikit-learn spends milliseconds per call on checks and thread start-up, which breaks the
2 ms budget for scoring a booking; the same arithmetic in numpy takes microseconds. The
scorers read fitted (partly private) attributes, so one is used only after it reproduces
the library's own probabilities on probe rows; otherwise the caller falls back to
scikit-learn.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from server.ml.features import FloatArray

RowScorer = Callable[[FloatArray], float]
RowTransform = Callable[[FloatArray], FloatArray]
_CHECK_ROWS = 64
_TOLERANCE = 1e-9
# A value no categorical feature takes: how the encoder treats unseen categories.
_UNKNOWN = -987_654.25


def _sigmoid(raw: float) -> float:
    return 1.0 / (1.0 + math.exp(-raw)) if raw >= 0 else math.exp(raw) / (1.0 + math.exp(raw))


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
        return _sigmoid(baseline + float(a["value"][rows, node].sum()))

    return score


def _one_hot(encoder: OneHotEncoder, cols: npt.NDArray[np.intp]) -> RowTransform:
    """Tabulate each column's share of the one-hot output by asking the encoder itself."""
    categories = [np.asarray(c, dtype=np.float64) for c in encoder.categories_]
    base = np.asarray([[c[0] for c in categories]], dtype=np.float64)
    tables: list[dict[float, FloatArray]] = []
    unknown: list[FloatArray] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown categories are exactly what is probed
        base_out = np.asarray(encoder.transform(base), dtype=np.float64)[0]
        for j, values in enumerate(categories):
            probe = np.repeat(base, len(values) + 1, axis=0)
            probe[:, j] = [*values, _UNKNOWN]
            deltas = np.asarray(encoder.transform(probe), dtype=np.float64) - base_out
            tables.append({float(v): deltas[i] for i, v in enumerate(values)})
            unknown.append(deltas[-1])

    def transform(row: FloatArray) -> FloatArray:
        out: FloatArray = base_out.copy()
        for j, c in enumerate(cols):
            out += tables[j].get(float(row[c]), unknown[j])
        return out

    return transform


def _scaler(scaler: StandardScaler, cols: npt.NDArray[np.intp]) -> RowTransform:
    mean = np.zeros(len(cols)) if scaler.mean_ is None else np.asarray(scaler.mean_)
    scale = np.ones(len(cols)) if scaler.scale_ is None else np.asarray(scaler.scale_)

    def transform(row: FloatArray) -> FloatArray:
        return np.asarray((row[cols] - mean) / scale, dtype=np.float64)

    return transform


def _column_transform(prep: ColumnTransformer) -> RowTransform | None:
    parts: list[RowTransform] = []
    for _, step, columns in prep.transformers_:
        cols = np.asarray(columns, dtype=np.intp)
        if isinstance(step, str) and step == "drop":
            continue
        if isinstance(step, StandardScaler):
            parts.append(_scaler(step, cols))
        elif isinstance(step, OneHotEncoder):
            parts.append(_one_hot(step, cols))
        else:
            return None
    return lambda row: np.concatenate([part(row) for part in parts])


def _logreg_scorer(model: Pipeline) -> RowScorer | None:
    prep, clf = model.steps[0][1], model.steps[-1][1]
    if len(model.steps) != 2 or not isinstance(prep, ColumnTransformer):
        return None
    if not isinstance(clf, LogisticRegression) or clf.coef_.shape[0] != 1:
        return None
    transform = _column_transform(prep)
    if transform is None:
        return None
    coef, intercept = np.asarray(clf.coef_[0]), float(clf.intercept_[0])
    return lambda x: _sigmoid(float(transform(x[0]) @ coef) + intercept)


def _svm_margin(model: Any) -> RowScorer | None:
    """Return the decision function of a one-hot/scaler + Nystroem RBF + LinearSVC pipeline."""
    if not isinstance(model, Pipeline) or len(model.steps) != 3:
        return None
    prep, rbf, svc = (step for _, step in model.steps)
    if not (
        isinstance(prep, ColumnTransformer)
        and isinstance(rbf, Nystroem)
        and rbf.kernel == "rbf"
        and isinstance(rbf.gamma, float | int)
        and isinstance(svc, LinearSVC)
        and svc.coef_.shape[0] == 1
    ):
        return None
    transform = _column_transform(prep)
    if transform is None:
        return None
    centres = np.asarray(rbf.components_, dtype=np.float64)
    centre_norms = (centres**2).sum(axis=1)
    weights = np.asarray(rbf.normalization_).T @ np.asarray(svc.coef_[0])
    gamma, intercept = float(rbf.gamma), float(svc.intercept_[0])

    def margin(x: FloatArray) -> float:
        z = transform(x[0])
        # |c - z|^2 expanded: one matrix-vector product instead of a 300 x d temporary.
        distances = np.maximum(centre_norms - 2.0 * (centres @ z) + z @ z, 0.0)
        kernel = np.exp(-gamma * distances)
        return float(kernel @ weights) + intercept

    return margin


def _calibrated_svm_scorer(model: CalibratedClassifierCV) -> RowScorer | None:
    if model.method != "sigmoid" or list(model.classes_) != [0, 1]:
        return None
    folds: list[tuple[RowScorer, float, float]] = []
    for member in model.calibrated_classifiers_:
        margin = _svm_margin(member.estimator)
        if margin is None or len(member.calibrators) != 1:
            return None
        calibrator = member.calibrators[0]
        folds.append((margin, float(calibrator.a_), float(calibrator.b_)))

    def score(x: FloatArray) -> float:
        return sum(_sigmoid(-(a * m(x) + b)) for m, a, b in folds) / len(folds)

    return score


def _soft_vote_scorer(model: VotingClassifier) -> RowScorer | None:
    if model.voting != "soft" or list(model.classes_) != [0, 1]:
        return None
    if len(model.estimators_) != len(model.estimators):  # a member was dropped
        return None
    weights = [1.0] * len(model.estimators_) if model.weights is None else list(model.weights)
    members = [_scorer(member) for member in model.estimators_]
    if any(m is None for m in members):
        return None
    total = float(sum(weights))
    parts = [(m, float(w) / total) for m, w in zip(members, weights, strict=True) if m]

    def score(x: FloatArray) -> float:
        return sum(w * m(x) for m, w in parts)

    return score


def _scorer(estimator: Any) -> RowScorer | None:
    if isinstance(estimator, VotingClassifier):
        return _soft_vote_scorer(estimator)
    if isinstance(estimator, HistGradientBoostingClassifier):
        return _hgb_scorer(estimator)
    if isinstance(estimator, Pipeline):
        return _logreg_scorer(estimator)
    if isinstance(estimator, CalibratedClassifierCV):
        return _calibrated_svm_scorer(estimator)
    return None


def _categories(estimator: Any) -> list[tuple[int, Sequence[float]]]:
    """Return (column, categories) of the model's one-hot encoders, for probe rows."""
    if isinstance(estimator, VotingClassifier):
        return [c for member in estimator.estimators_ for c in _categories(member)]
    members = getattr(estimator, "calibrated_classifiers_", None)
    pipeline = members[0].estimator if members else estimator
    prep = pipeline.steps[0][1] if isinstance(pipeline, Pipeline) else None
    if not isinstance(prep, ColumnTransformer):
        return []
    out: list[tuple[int, Sequence[float]]] = []
    for _, step, columns in prep.transformers_:
        if isinstance(step, OneHotEncoder):
            out.extend(zip(columns, (list(c) for c in step.categories_), strict=True))
    return out


def _probe(estimator: Any, n_features: int) -> FloatArray:
    """Return spread-out rows, half of them with categories the model has seen."""
    rng = np.random.default_rng(0)
    probe = rng.normal(0, 20, size=(_CHECK_ROWS, n_features)).round()
    for column, values in _categories(estimator):
        seen = rng.choice(np.asarray(values, dtype=np.float64), size=_CHECK_ROWS // 2)
        probe[: _CHECK_ROWS // 2, column] = seen
    return probe


def compile_scorer(estimator: Any, n_features: int) -> RowScorer | None:
    """Return a fast one-row scorer that matches ``estimator``, or None when there is none."""
    try:
        scorer = _scorer(estimator)
    except (AttributeError, KeyError, ValueError, IndexError, TypeError):
        return None
    if scorer is None:
        return None
    # Check against the library; any difference disables the fast path.
    probe = _probe(estimator, n_features)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probe rows hold categories the encoder never saw
        expected = estimator.predict_proba(probe)[:, 1]
    got = np.asarray([scorer(probe[i : i + 1]) for i in range(_CHECK_ROWS)])
    return scorer if np.allclose(got, expected, atol=_TOLERANCE, rtol=0) else None
