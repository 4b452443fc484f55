"""Time no-show training on 100,000 synthetic appointments and single-booking latency.

Prints one JSON object. Run: .venv/bin/python bench/ml_train.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.ml.features import ApptRecord, build_features
from server.ml.models import CANDIDATES
from server.ml.predict import ModelPredictor
from server.ml.synth import generate
from server.ml.training import TrainedModel, select_and_train, train_one

N_PATIENTS = 25_000
DAYS = 80
LATENCY_CALLS = 1000


def _latency(
    estimator: object,
    base_rate: float,
    records: list[ApptRecord],
    by_patient: dict[str, list[ApptRecord]],
) -> dict[str, object]:
    predictor = ModelPredictor.compiled(estimator, "bench", base_rate)
    timings = []
    for r in records[-LATENCY_CALLS:]:
        t = time.perf_counter()
        predictor.predict_one(r, by_patient[r.patient_key])
        timings.append((time.perf_counter() - t) * 1000)
    return {
        "fast_path": predictor.fast is not None,
        "p50": round(float(np.percentile(timings, 50)), 3),
        "p99": round(float(np.percentile(timings, 99)), 3),
    }


def main() -> None:
    """Train on about 100,000 rows, then time predict_one of every candidate."""
    records = generate(N_PATIENTS, DAYS, seed=1)[:100_000]
    started = time.perf_counter()
    selection = select_and_train(records)
    train_seconds = time.perf_counter() - started
    best = selection.best
    by_patient: dict[str, list[ApptRecord]] = defaultdict(list)
    for r in records:
        by_patient[r.patient_key].append(r)
    # Any candidate may be chosen on other data: time every one of them.
    x = build_features(records).values
    models: list[TrainedModel] = [
        best if name == best.name else train_one(name, records, x, {}) for name in CANDIDATES
    ]
    latency = {m.name: _latency(m.estimator, m.base_rate, records, by_patient) for m in models}
    print(
        json.dumps(
            {
                "n_rows": len(records),
                "train_seconds": round(train_seconds, 1),
                "model": best.name,
                "predict_ms_per_row": latency,
                "validation": selection.validation,
            }
        )
    )


if __name__ == "__main__":
    main()
