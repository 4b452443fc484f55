"""Turn a booking into a no-show probability, with or without a trained model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from server.ml.fastpath import RowScorer, compile_scorer
from server.ml.features import FEATURE_NAMES, ApptRecord, build_features, build_features_for

BASE_RATE_VERSION = "base-rate"


class NoShowPredictor(Protocol):
    """Anything that gives a booking its no-show probability."""

    @property
    def version(self) -> str:
        """Name the model (or the fallback) that produced the probabilities."""
        ...

    def predict_one(self, target: ApptRecord, history: Sequence[ApptRecord]) -> float:
        """Score one booking; ``history`` holds the patient's other appointments."""
        ...

    def predict_many(
        self, targets: Sequence[ApptRecord], history: Sequence[ApptRecord]
    ) -> list[float]:
        """Score many bookings at once; ``history`` may hold any patients' appointments."""
        ...


@dataclass(frozen=True)
class BaseRatePredictor:
    """Give every booking the clinic's overall no-show rate."""

    rate: float
    version: str = BASE_RATE_VERSION

    def predict_one(self, target: ApptRecord, history: Sequence[ApptRecord]) -> float:
        """Return the base rate."""
        return self.rate

    def predict_many(
        self, targets: Sequence[ApptRecord], history: Sequence[ApptRecord]
    ) -> list[float]:
        """Return the base rate for each target."""
        return [self.rate] * len(targets)


@dataclass(frozen=True)
class ModelPredictor:
    """Score bookings with a fitted scikit-learn classifier."""

    estimator: Any
    version: str
    base_rate: float
    fast: RowScorer | None = field(default=None, repr=False, compare=False)

    @classmethod
    def compiled(cls, estimator: Any, version: str, base_rate: float) -> ModelPredictor:
        """Wrap an estimator, with the fast one-row scorer when one matches it."""
        return cls(estimator, version, base_rate, compile_scorer(estimator, len(FEATURE_NAMES)))

    def predict_one(self, target: ApptRecord, history: Sequence[ApptRecord]) -> float:
        """Return the model's no-show probability for one booking."""
        x = build_features_for(target, history)
        if self.fast is not None:
            return self.fast(x)
        return float(self.estimator.predict_proba(x)[0, 1])

    def predict_many(
        self, targets: Sequence[ApptRecord], history: Sequence[ApptRecord]
    ) -> list[float]:
        """Return probabilities for ``targets``, each seeing only what it may see."""
        if not targets:
            return []
        keys = {t.appointment_key for t in targets}
        others = [h for h in history if h.appointment_key not in keys]
        x = build_features([*targets, *others]).values[: len(targets)]
        p = np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)
        return [float(v) for v in p]
