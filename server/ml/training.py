"""Train the candidates, choose one on a time-based validation split, evaluate on later days."""

from __future__ import annotations

import hashlib
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from server.ml.dataset import OWN_COLUMNS, sort_by_time
from server.ml.features import FEATURE_NAMES, ApptRecord, FloatArray, build_features, labels
from server.ml.metrics import probability_scores
from server.ml.models import CANDIDATES, make_model, max_rows

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
VALIDATION_FRACTION = 0.2
# The score a model is chosen by: lower is better, and it rewards calibration.
SELECT_BY = "brier"
# One thread: on a shared, busy machine OpenMP's spinning threads made a 2.5 s fit take 60 s.
TRAIN_THREADS = 1


@dataclass(frozen=True)
class TrainedModel:
    """A fitted estimator with what the registry records about it."""

    name: str
    estimator: Any
    base_rate: float
    n_train: int
    data_hash: str
    metrics: dict[str, float | None]
    feature_names: tuple[str, ...] = FEATURE_NAMES
    trained_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Return the no-show probability of each row."""
        return predict(self.estimator, x)


@dataclass(frozen=True)
class Selection:
    """The chosen model refitted on all rows, and every candidate's validation scores."""

    best: TrainedModel
    validation: dict[str, dict[str, float | None]]


def data_hash(records: Sequence[ApptRecord]) -> str:
    """Return a SHA-256 over the records' CSV cells, in time order."""
    digest = hashlib.sha256()
    for r in sort_by_time(records):
        digest.update("\x1f".join(str(getattr(r, c)) for c in OWN_COLUMNS).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def fit(name: str, x: FloatArray, y: npt.NDArray[np.int_]) -> Any:
    """Fit one candidate; rows must be in time order (capped models keep the latest)."""
    cap = max_rows(name)
    if cap is not None and len(y) > cap:
        x, y = x[-cap:], y[-cap:]
    model = make_model(name)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(TRAIN_THREADS):
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            log.warning("%s did not fully converge: %s", name, w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return model


def validation_cut(days: Sequence[date], fraction: float = VALIDATION_FRACTION) -> date:
    """Return the first day of the validation part: about the last ``fraction`` of rows."""
    ordered = sorted(days)
    cut = ordered[min(len(ordered) - 1, int(len(ordered) * (1 - fraction)))]
    if cut == ordered[0]:
        raise ValueError("validation needs appointments on at least two days")
    return cut


def predict(model: Any, x: FloatArray) -> FloatArray:
    """Return a fitted model's no-show probabilities, on one thread."""
    with threadpool_limits(TRAIN_THREADS):
        return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)


def validate(
    records: Sequence[ApptRecord],
    x: FloatArray,
    candidates: Sequence[str] = CANDIDATES,
    progress: Progress | None = None,
) -> dict[str, dict[str, float | None]]:
    """Fit each candidate on the earlier days and score it on the later days."""
    y = labels(records)
    cut = validation_cut([r.appointment_day for r in records])
    early = np.fromiter((r.appointment_day < cut for r in records), dtype=bool, count=len(y))
    base_rate = float(y[early].mean())
    scores = {}
    for name in candidates:
        if progress:
            progress(f"validate {name}")
        model = fit(name, x[early], y[early])
        scores[name] = probability_scores(y[~early], predict(model, x[~early]), base_rate)
    return scores


def choose(validation: dict[str, dict[str, float | None]]) -> str:
    """Return the candidate with the lowest validation Brier score."""
    return min(validation, key=lambda name: validation[name][SELECT_BY] or float("inf"))


def select_and_train(
    records: Sequence[ApptRecord],
    candidates: Sequence[str] = CANDIDATES,
    progress: Progress | None = None,
) -> Selection:
    """Choose a candidate on a time split, then refit it on every record."""
    records = [r for r in sort_by_time(records) if r.no_show is not None]
    if progress:
        progress("features")
    x = build_features(records).values
    validation = validate(records, x, candidates, progress)
    best = choose(validation)
    if progress:
        progress(f"fit {best}")
    return Selection(best=train_one(best, records, x, validation[best]), validation=validation)


def train_one(
    name: str,
    records: Sequence[ApptRecord],
    x: FloatArray,
    metrics: dict[str, float | None],
) -> TrainedModel:
    """Fit one candidate on time-ordered records whose features are ``x``."""
    y = labels(records)
    started = time.perf_counter()
    model = fit(name, x, y)
    log.info("trained %s on %d rows in %.1f s", name, len(y), time.perf_counter() - started)
    return TrainedModel(
        name=name,
        estimator=model,
        base_rate=float(y.mean()),
        n_train=len(y),
        data_hash=data_hash(records),
        metrics=metrics,
    )
