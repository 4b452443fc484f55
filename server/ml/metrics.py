"""Probability scores: ranking (AUC) and calibration (Brier, Brier skill, log-loss)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

# Keep log-loss finite when a model says exactly 0 or 1.
_EPS = 1e-6


def probability_scores(
    y: npt.NDArray[np.int_], p: npt.NDArray[np.float64], base_rate: float
) -> dict[str, float | None]:
    """Score predictions; Brier skill compares with always predicting ``base_rate``."""
    p = np.clip(p, _EPS, 1 - _EPS)
    brier = float(brier_score_loss(y, p))
    reference = float(np.mean((y - base_rate) ** 2))
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    return {
        "auc": _round(auc),
        "brier": _round(brier),
        "brier_skill": _round(1 - brier / reference) if reference > 0 else None,
        "logloss": _round(float(log_loss(y, p, labels=[0, 1]))),
        "mean_p": _round(float(p.mean())),
        "observed_rate": _round(float(y.mean())),
    }


def _round(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 4)
