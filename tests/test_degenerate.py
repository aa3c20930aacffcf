"""Degenerate data trains without NaN or inf, or is refused clearly; margins far off get a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from siamese_core.bundle import SiameseBundle, load_model
from siamese_core.config import TrainConfig
from siamese_core.errors import DataError, TrainingError
from siamese_core.pairs import PairSet
from siamese_core.pipeline import fit
from siamese_core.training import train

SMALL = dict(hidden=(16,), embedding_dim=4, epochs=3, batch_size=32)


def _pairs(magnitude: float = 1.0, n: int = 160, seed: int = 0) -> PairSet:
    rng = np.random.default_rng(seed)
    left = (rng.normal(size=(n, 4)) * magnitude).astype(np.float32)
    right = left.copy()
    right[n // 2 :] = (rng.normal(size=(n - n // 2, 4)) * magnitude).astype(np.float32)
    labels = np.r_[np.zeros(n // 2), np.ones(n - n // 2)].astype(np.float32)
    return PairSet(left, right, labels, list("abcd"))


@pytest.mark.parametrize("magnitude", [1e30, 1e-30])
@pytest.mark.parametrize("scaling", ["auto", "per_feature", "global"])
def test_extreme_magnitudes_train_finitely_and_round_trip(magnitude, scaling, tmp_path):
    pairs = _pairs(magnitude)
    result = train(pairs, None, TrainConfig(**SMALL, scaling=scaling))
    assert np.isfinite(result.history["loss"]).all()
    bundle = SiameseBundle(result.model, pairs.feature_names)
    distances = bundle.distances(pairs.left, pairs.right)
    assert np.isfinite(distances).all()
    loaded = load_model(bundle.save(tmp_path / "extreme.keras"))
    np.testing.assert_allclose(loaded.distances(pairs.left, pairs.right), distances, rtol=1e-5)


def test_unscaled_extreme_values_are_refused_clearly():
    with pytest.raises(TrainingError, match=r"training diverged: the loss became nan in epoch 1"):
        train(_pairs(1e30), None, TrainConfig(**SMALL, scaling="none"))


def test_diverging_with_scaling_on_does_not_advise_scaling():
    with pytest.raises(TrainingError) as caught:
        train(_pairs(), None, TrainConfig(**SMALL, learning_rate=1e30))
    assert str(caught.value) == (
        "training diverged: the loss became nan in epoch 1. The features were scaled (global); use a smaller "
        "learning rate, or check the data for extreme values"
    )


@pytest.mark.parametrize("scaling", ["auto", "none"])
def test_subnormal_features_are_refused_without_warnings(scaling):
    """Values of size 1e-40 are subnormal float32 numbers, which TensorFlow reads as 0 (the model would see
    constants). Before, the scaling factor overflowed float32 (a RuntimeWarning) and training diverged with
    advice to turn on the scaling that was on."""
    with warnings.catch_warnings(record=True) as caught, pytest.raises(DataError) as refused:
        warnings.simplefilter("always")
        train(_pairs(1e-40), None, TrainConfig(**SMALL, scaling=scaling))
    assert str(refused.value) == (
        "feature 'a' (and 3 more) holds only values below 1.2e-38 in size (the largest is 2.94e-40), which "
        "32-bit floats hold only as subnormal numbers and TensorFlow reads as 0; multiply the features by a "
        "power of ten (such as 1e30) before training"
    )
    assert not [warning for warning in caught if issubclass(warning.category, RuntimeWarning)]


def test_one_class_validation_split_still_trains():
    pairs = _pairs()
    similar_only = pairs.subset(pairs.labels == 0)
    result = train(pairs, similar_only, TrainConfig(**SMALL))
    assert np.isfinite(result.history["val_loss"]).all()


def test_one_class_test_split_gives_no_test_metrics_instead_of_failing():
    from siamese_core.splits import Splits

    pairs = _pairs()
    splits = Splits(
        train=pairs, validation=pairs.subset(np.arange(0, 160, 4)), test=pairs.subset(pairs.labels == 1)
    )
    outcome = fit(pairs, TrainConfig(**SMALL), splits=splits)
    assert outcome.test is None and outcome.test_distances is None
    assert outcome.threshold_source == "validation pairs"


@pytest.mark.parametrize(("margin", "fragment"), [(1e-4, "far smaller"), (1e4, "far larger")])
def test_margin_far_from_the_distances_warns(margin, fragment):
    result = train(_pairs(), None, TrainConfig(**{**SMALL, "epochs": 1}, margin=margin))
    assert any(fragment in warning for warning in result.warnings)


def test_sensible_margin_gives_no_warning():
    assert train(_pairs(), None, TrainConfig(**{**SMALL, "epochs": 1})).warnings == []


def test_time_limit_stops_training_and_says_so():
    # No early stopping: on a fast machine the training loss stops improving well within the second.
    settings = {**SMALL, "epochs": 10_000, "early_stopping_patience": 0}
    result = train(_pairs(n=4000), None, TrainConfig(**settings, max_seconds=1.0))
    assert result.stopped_by_time and result.epochs_run < 10_000
    assert "time limit of 1 s" in result.warnings[-1]
