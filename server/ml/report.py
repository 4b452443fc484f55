"""Draw the evaluation: ROC and calibration curves, feature importances, one HTML page."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_curve
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from server.ml.evaluation import Evaluation
from server.ml.features import FEATURE_NAMES

IMPORTANCE_ROWS = 3000
_COLUMNS = ("model", "auc", "brier", "brier_skill", "logloss", "validation_brier", "n_train")


def _roc(result: Evaluation, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, p in result.predictions.items():
        fpr, tpr, _ = roc_curve(result.y_test, p)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, test days")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _calibration(result: Evaluation, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, p in result.predictions.items():
        observed, predicted = calibration_curve(result.y_test, p, n_bins=10, strategy="quantile")
        ax.plot(predicted, observed, marker="o", label=name)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="predicted no-show rate", ylabel="observed no-show rate", title="Calibration")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _importance(result: Evaluation, path: Path) -> None:
    best = result.summary["best"]
    rows = slice(-IMPORTANCE_ROWS, None)  # the latest test rows
    with threadpool_limits(1):
        imp = permutation_importance(
            result.models[best],
            result.x_test[rows],
            result.y_test[rows],
            scoring="neg_brier_score",
            n_repeats=3,
            random_state=0,
        )
    order = np.argsort(imp.importances_mean)
    fig, ax = plt.subplots(figsize=(6, 8))
    ax.barh(np.asarray(FEATURE_NAMES)[order], imp.importances_mean[order])
    ax.set(xlabel="Brier score lost when shuffled", title=f"Feature importance ({best})")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _page(result: Evaluation) -> str:
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(c)))}</td>" for c in _COLUMNS) + "</tr>"
        for row in result.summary["models"]
    )
    best = html.escape(str(result.summary["best"]))
    return (
        "<!doctype html><meta charset='utf-8'><title>No-show model report</title>"
        f"<h1>No-show model report</h1><p>Chosen on validation Brier: <b>{best}</b></p>"
        f"<table border='1' cellpadding='4'><tr>{head}</tr>{body}</table>"
        "<h2>ROC</h2><img src='roc.png' alt='ROC curves'>"
        "<h2>Calibration</h2><img src='calibration.png' alt='calibration curves'>"
        "<h2>Feature importance</h2><img src='importance.png' alt='feature importance'>"
    )


def write_report(result: Evaluation, out: Path) -> Path:
    """Write the images and index.html into ``out``; return the page's path."""
    out.mkdir(parents=True, exist_ok=True)
    _roc(result, out / "roc.png")
    _calibration(result, out / "calibration.png")
    _importance(result, out / "importance.png")
    page = out / "index.html"
    page.write_text(_page(result), encoding="utf-8")
    return page
