"""Model registry: one skops file and one JSON description per version, and an active pointer.

Layout of the directory (``var/models/`` by default)::

    v0001-hgb.skops   the fitted estimator, written by skops (no pickle)
    v0001-hgb.json    its ModelMeta: features, data hash, metrics, dates, file checksum
    active            the version the server loads
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio

from server.ml.features import FEATURE_NAMES, FEATURE_SET_VERSION
from server.ml.predict import BaseRatePredictor, ModelPredictor, NoShowPredictor
from server.ml.training import TrainedModel

log = logging.getLogger(__name__)

DEFAULT_REGISTRY_DIR = Path("var/models")
ACTIVE_FILE = "active"
_VERSION_RE = re.compile(r"^v(\d{4,})-[a-z0-9_]+$")

# Types beyond skops' defaults that our candidate models contain, and nothing else.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.utils._bunch.Bunch",
    }
)


class ModelFileError(Exception):
    """A model file that is missing, corrupted, untrusted or built for other features."""


@dataclass(frozen=True)
class ModelMeta:
    """What the registry knows about one saved model."""

    version: str
    model: str
    features: list[str]
    feature_set_version: str
    data_hash: str
    trained_at: str
    n_train: int
    base_rate: float
    metrics: dict[str, float | None]
    sklearn_version: str
    file_sha256: str

    @classmethod
    def from_file(cls, path: Path) -> ModelMeta:
        """Read a JSON description, raising ModelFileError when it is unreadable."""
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise ModelFileError(f"{path}: unreadable model description ({exc})") from exc


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def versions(directory: Path) -> list[str]:
    """Return the saved versions, oldest first."""
    found = [p.stem for p in directory.glob("v*.json") if _VERSION_RE.match(p.stem)]
    return sorted(found, key=lambda v: int(v[1:].split("-")[0]))


def _next_version(directory: Path, name: str) -> str:
    existing = versions(directory)
    number = int(existing[-1][1:].split("-")[0]) + 1 if existing else 1
    return f"v{number:04d}-{name}"


def save_model(directory: Path, trained: TrainedModel, *, activate: bool = True) -> ModelMeta:
    """Save a trained model as a new version and, by default, make it the active one."""
    directory.mkdir(parents=True, exist_ok=True)
    version = _next_version(directory, trained.name)
    model_path = directory / f"{version}.skops"
    _write_atomic(model_path, sio.dumps(trained.estimator))
    meta = ModelMeta(
        version=version,
        model=trained.name,
        features=list(trained.feature_names),
        feature_set_version=FEATURE_SET_VERSION,
        data_hash=trained.data_hash,
        trained_at=trained.trained_at.isoformat(),
        n_train=trained.n_train,
        base_rate=trained.base_rate,
        metrics=trained.metrics,
        sklearn_version=sklearn.__version__,
        file_sha256=_sha256(model_path),
    )
    _write_atomic(model_path.with_suffix(".json"), json.dumps(asdict(meta), indent=2).encode())
    if activate:
        set_active(directory, version)
    return meta


def set_active(directory: Path, version: str) -> None:
    """Point the registry at a saved version."""
    if not (directory / f"{version}.skops").is_file():
        raise ModelFileError(f"no model file for version {version!r} in {directory}")
    _write_atomic(directory / ACTIVE_FILE, f"{version}\n".encode())


def active_version(directory: Path) -> str | None:
    """Return the active version, or None when nothing is active."""
    try:
        version = (directory / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def _check_meta(path: Path, meta: ModelMeta) -> None:
    if _sha256(path) != meta.file_sha256:
        raise ModelFileError(f"{path}: checksum differs from its description; file corrupted")
    if tuple(meta.features) != FEATURE_NAMES or meta.feature_set_version != FEATURE_SET_VERSION:
        raise ModelFileError(
            f"{path}: built for feature set {meta.feature_set_version} "
            f"({len(meta.features)} features), this code has {FEATURE_SET_VERSION} "
            f"({len(FEATURE_NAMES)} features); retrain it"
        )
    if meta.sklearn_version != sklearn.__version__:
        log.warning(
            "%s was saved by scikit-learn %s, running %s",
            path,
            meta.sklearn_version,
            sklearn.__version__,
        )


def _load_estimator(path: Path) -> Any:
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises many kinds on a damaged archive
        raise ModelFileError(f"{path}: not a readable skops file ({exc})") from exc
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise ModelFileError(f"{path}: refuses untrusted types {unknown}")
    try:
        estimator = sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise ModelFileError(f"{path}: cannot load model ({exc})") from exc
    if not hasattr(estimator, "predict_proba"):
        raise ModelFileError(f"{path}: holds {type(estimator).__name__}, not a classifier")
    return estimator


def _check_predicts(path: Path, estimator: Any) -> None:
    try:
        p = estimator.predict_proba(np.zeros((1, len(FEATURE_NAMES))))
    except Exception as exc:
        raise ModelFileError(f"{path}: model does not accept our features ({exc})") from exc
    if np.shape(p) != (1, 2):
        raise ModelFileError(f"{path}: model gives {np.shape(p)} outputs, expected (1, 2)")


def load_model(path: Path) -> tuple[ModelPredictor, ModelMeta]:
    """Load one saved model, raising ModelFileError when it is unusable."""
    path = path.with_suffix(".skops")
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    meta = ModelMeta.from_file(path.with_suffix(".json"))
    _check_meta(path, meta)
    estimator = _load_estimator(path)
    _check_predicts(path, estimator)
    return ModelPredictor.compiled(estimator, meta.version, meta.base_rate), meta


def load_active(directory: Path, fallback_rate: float) -> NoShowPredictor:
    """Load the active model, or fall back to the base rate with a logged reason."""
    version = active_version(directory)
    if version is None:
        log.info("no active no-show model in %s; using base rate %.3f", directory, fallback_rate)
        return BaseRatePredictor(fallback_rate)
    try:
        predictor, _ = load_model(directory / f"{version}.skops")
    except ModelFileError as exc:
        log.error("no-show model refused, using base rate %.3f: %s", fallback_rate, exc)
        return BaseRatePredictor(fallback_rate)
    return predictor


def active_meta(directory: Path) -> ModelMeta | None:
    """Return the active model's description, or None."""
    version = active_version(directory)
    if version is None:
        return None
    try:
        return ModelMeta.from_file(directory / f"{version}.json")
    except ModelFileError:
        return None
