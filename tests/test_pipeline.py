import numpy as np
import pytest

from siamese_core.errors import DataError
from siamese_core.evaluation import best_accuracy_threshold
from siamese_core.pairs import PairSet
from siamese_core.pipeline import align_features, score_pairs


def test_fit_outcome_is_consistent(tiny_outcome):
    outcome = tiny_outcome
    splits = outcome.splits
    kept = splits.train.n_pairs + splits.validation.n_pairs + splits.test.n_pairs
    assert splits.dropped_pairs == 300 - kept  # samples are reused across pairs: cross-split pairs go
    assert outcome.threshold_source == "validation pairs"
    validation = splits.validation
    distances = outcome.bundle.distances(validation.left, validation.right)
    assert outcome.bundle.threshold == pytest.approx(best_accuracy_threshold(distances, validation.labels)[1])
    assert outcome.test.n_pairs == splits.test.n_pairs
    assert outcome.test.threshold == pytest.approx(outcome.bundle.threshold)
    assert outcome.bundle.metrics["auc"] == pytest.approx(outcome.test.auc)
    assert outcome.test.auc > 0.75  # well-separated clusters; chance is 0.5


def test_features_are_aligned_by_name(tiny_outcome):
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.test
    order = np.arange(pairs.n_features)[::-1]
    shuffled = PairSet(
        pairs.left[:, order], pairs.right[:, order], pairs.labels, [pairs.feature_names[i] for i in order]
    )
    np.testing.assert_allclose(score_pairs(bundle, shuffled), score_pairs(bundle, pairs), rtol=1e-5)
    assert align_features(bundle, shuffled).feature_names == bundle.feature_names


def test_mismatched_features_are_a_user_error(tiny_outcome):
    bundle = tiny_outcome.bundle
    pairs = tiny_outcome.splits.test
    narrow = PairSet(pairs.left[:, :4], pairs.right[:, :4], pairs.labels, pairs.feature_names[:4])
    with pytest.raises(DataError, match="expects 6 features per sample but the file has 4"):
        score_pairs(bundle, narrow)
    renamed = PairSet(pairs.left, pairs.right, pairs.labels, [f"g{i}" for i in range(6)])
    with pytest.raises(DataError, match="Rename the columns to match the model"):
        score_pairs(bundle, renamed)
