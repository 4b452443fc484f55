from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from server.ml.fastpath import compile_scorer
from server.ml.features import build_features
from server.ml.models import BLEND_LOGREG_WEIGHT
from server.ml.predict import BaseRatePredictor, ModelPredictor
from server.ml.registry import (
    ModelFileError,
    active_version,
    load_active,
    load_model,
    save_model,
    versions,
)
from server.ml.synth import generate
from server.ml.training import TrainedModel, train_one


def test_save_and_load_give_the_same_predictions(tmp_path: Path, trained_hgb: TrainedModel) -> None:
    records = generate(100, 20, seed=11)
    meta = save_model(tmp_path, trained_hgb)
    assert active_version(tmp_path) == meta.version == versions(tmp_path)[-1]
    assert meta.features and len(meta.data_hash) == 64 and meta.n_train == trained_hgb.n_train
    loaded = load_active(tmp_path, fallback_rate=0.2)
    assert isinstance(loaded, ModelPredictor) and loaded.fast is not None
    x = build_features(records).values
    expected = trained_hgb.estimator.predict_proba(x)[:, 1]
    np.testing.assert_allclose(loaded.predict_many(records, records), expected, atol=1e-12)
    one = [loaded.predict_one(r, records) for r in records[:40]]
    np.testing.assert_allclose(one, expected[:40], atol=1e-9)


def test_linear_model_round_trips(tmp_path: Path, small_history: list) -> None:
    x = build_features(small_history).values
    trained = train_one("logreg", small_history, x, {})
    meta = save_model(tmp_path, trained)
    predictor, _ = load_model(tmp_path / f"{meta.version}.skops")
    np.testing.assert_allclose(
        predictor.estimator.predict_proba(x)[:, 1], trained.estimator.predict_proba(x)[:, 1]
    )


def test_corrupted_file_is_refused_and_server_keeps_base_rate(
    tmp_path: Path, trained_hgb: TrainedModel, caplog: pytest.LogCaptureFixture
) -> None:
    meta = save_model(tmp_path, trained_hgb)
    path = tmp_path / f"{meta.version}.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted"):
        load_model(path)
    with caplog.at_level(logging.ERROR):
        predictor = load_active(tmp_path, fallback_rate=0.21)
    assert predictor == BaseRatePredictor(0.21)
    assert "corrupted" in caplog.text


def test_garbage_with_matching_checksum_is_refused(
    tmp_path: Path, trained_hgb: TrainedModel
) -> None:
    meta = save_model(tmp_path, trained_hgb)
    path = tmp_path / f"{meta.version}.skops"
    path.write_bytes(b"not a zip archive")
    described = json.loads(path.with_suffix(".json").read_text())
    import hashlib

    described["file_sha256"] = hashlib.sha256(b"not a zip archive").hexdigest()
    path.with_suffix(".json").write_text(json.dumps(described))
    with pytest.raises(ModelFileError, match="skops"):
        load_model(path)
    assert isinstance(load_active(tmp_path, 0.2), BaseRatePredictor)


@pytest.mark.parametrize(
    ("field", "value"), [("features", ["lead_days"]), ("feature_set_version", "0")]
)
def test_model_for_other_features_is_refused(
    tmp_path: Path, trained_hgb: TrainedModel, field: str, value: object
) -> None:
    meta = save_model(tmp_path, trained_hgb)
    described = tmp_path / f"{meta.version}.json"
    data = json.loads(described.read_text())
    data[field] = value
    described.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="feature set"):
        load_model(described)
    assert isinstance(load_active(tmp_path, 0.2), BaseRatePredictor)


def test_no_active_model_gives_base_rate(tmp_path: Path) -> None:
    predictor = load_active(tmp_path / "empty", fallback_rate=0.19)
    assert predictor.version == "base-rate"
    assert predictor.predict_many([], []) == []


def test_missing_description_is_refused(tmp_path: Path, trained_hgb: TrainedModel) -> None:
    meta = save_model(tmp_path, trained_hgb)
    (tmp_path / f"{meta.version}.json").unlink()
    with pytest.raises(ModelFileError, match="unreadable"):
        load_model(tmp_path / f"{meta.version}.skops")


@pytest.mark.parametrize("name", ["logreg", "svm", "blend"])
def test_every_candidate_gets_a_numpy_scorer_that_matches(
    tmp_path: Path, small_history: list, name: str
) -> None:
    x = build_features(small_history).values
    trained = train_one(name, small_history, x, {})
    meta = save_model(tmp_path, trained)
    predictor, _ = load_model(tmp_path / f"{meta.version}.skops")
    assert predictor.fast is not None
    expected = trained.estimator.predict_proba(x[:200])[:, 1]
    got = [predictor.predict_one(r, small_history) for r in small_history[:200]]
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_scorer_is_refused_when_it_disagrees_with_the_library(
    small_history: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = build_features(small_history).values
    estimator = train_one("logreg", small_history, x, {}).estimator
    assert compile_scorer(estimator, x.shape[1]) is not None
    original = estimator.predict_proba
    monkeypatch.setattr(estimator, "predict_proba", lambda rows: original(rows) * 0.999)
    assert compile_scorer(estimator, x.shape[1]) is None


def test_blend_is_the_weighted_mean_of_its_members(small_history: list) -> None:
    x = build_features(small_history).values
    blend = train_one("blend", small_history, x, {}).estimator
    hgb, logreg = (member.predict_proba(x)[:, 1] for member in blend.estimators_)
    w = BLEND_LOGREG_WEIGHT
    np.testing.assert_allclose(blend.predict_proba(x)[:, 1], (1 - w) * hgb + w * logreg)
