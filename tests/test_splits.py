import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError
from siamese_core.pairs import PairSet, SampleSet
from siamese_core.splits import (
    Splits,
    pair_samples_seen,
    plan_text,
    sample_folds,
    sample_fractions,
    split_pairs,
    split_samples,
)


def _vectors(keys_left, keys_right, n_features=2):
    """Pairs whose samples are the vectors (k, k, ...) for the given integer keys."""
    left = np.repeat(np.asarray(keys_left, dtype=np.float32)[:, None], n_features, axis=1)
    right = np.repeat(np.asarray(keys_right, dtype=np.float32)[:, None], n_features, axis=1)
    labels = (np.arange(len(keys_left)) % 2).astype(np.float32)
    return PairSet(left, right, labels, [f"f{i}" for i in range(n_features)])


def _samples_of(pairs):
    return [
        set(map(bytes, np.concatenate([p.left, p.right])))
        for p in (pairs.train, pairs.validation, pairs.test)
        if p
    ]


def test_minus_zero_and_zero_are_the_same_sample():
    pairs = _vectors([0.0, 1.0], [1.0, 2.0])
    pairs.left[0] = -0.0
    seen = pair_samples_seen(pairs, _vectors([0.0], [5.0]))
    np.testing.assert_array_equal(seen, [True, False])  # -0.0 is the sample 0.0; (1, 1), (2, 2) are new


def test_pairs_sharing_a_sample_with_training_pairs_are_found_on_either_side():
    training = _vectors([1, 2], [3, 4])
    asked = _vectors([9, 5, 3, 7], [1, 6, 8, 7])
    np.testing.assert_array_equal(pair_samples_seen(asked, training), [True, False, True, False])
    chunks = [(training.left[:1], training.right[:1]), (training.left[1:], training.right[1:])]
    np.testing.assert_array_equal(pair_samples_seen(asked, chunks), [True, False, True, False])


def test_no_sample_is_in_two_splits_and_crossing_pairs_are_counted():
    """Samples reused across pairs: each sample goes to one split; pairs across splits are left out."""
    rng = np.random.default_rng(0)
    left = rng.integers(0, 60, 600)
    right = rng.integers(0, 60, 600) + 0.5
    pairs = _vectors(left, right)
    splits = split_pairs(pairs, seed=0)
    kept = sum(p.n_pairs for p in (splits.train, splits.validation, splits.test) if p)
    assert splits.strategy == "samples"
    assert splits.dropped_pairs == pairs.n_pairs - kept > 0
    seen = _samples_of(splits)
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
    assert "left out of all three" in splits.describe()


def test_the_kept_pairs_approach_the_shares_asked_for():
    """Shares 0.7 / 0.15 / 0.15: samples go to the splits with probabilities sqrt(share) / sum, 0.5196 /
    0.2402 / 0.2402, so of pairs of two independent samples 0.2700 / 0.0577 / 0.0577 stay (0.385 in all),
    split 0.70 / 0.15 / 0.15 among themselves."""
    rng = np.random.default_rng(1)
    pairs = _vectors(rng.permutation(20_000), rng.permutation(20_000) + 50_000)
    splits = split_pairs(pairs, seed=2)
    counts = np.array([splits.train.n_pairs, splits.validation.n_pairs, splits.test.n_pairs])
    assert abs(counts.sum() / 20_000 - 0.3854) < 0.015
    np.testing.assert_allclose(counts / counts.sum(), [0.7, 0.15, 0.15], atol=0.02)
    assert splits.dropped_pairs == 20_000 - counts.sum()


def test_random_split_when_leakage_check_is_off():
    rng = np.random.default_rng(0)
    pairs = _vectors(rng.permutation(50), rng.permutation(50) + 100)
    splits = split_pairs(pairs, leakage_aware=False, seed=0)
    assert splits.strategy == "random" and splits.dropped_pairs == 0
    assert splits.train.n_pairs + splits.validation.n_pairs + splits.test.n_pairs == 50


def test_the_plan_says_how_the_pairs_will_be_used():
    splits = Splits(_vectors([1], [2]), _vectors([3], [4]), None, dropped_pairs=5)
    text = plan_text(splits.describe(), 10_000, refit=True, held_out=True, test_source="test.csv")
    assert text == (
        "pairs: train 1, validation 1 (split by samples); 5 pairs whose two samples fell into different "
        "splits are left out of all three (no sample is shared between splits). A selection model trains "
        "on the training split (the validation pairs choose how long and the threshold); then the final "
        "model is refit on all 10,000 pairs; the metrics come from the test file test.csv"
    )
    small_file = plan_text(splits.describe(), 9_999, refit=True, held_out=True)
    assert (
        "(the validation pairs choose the threshold; as the file holds under 10,000 pairs, 5 folds by sample "
        "choose how long); then the final model is refit on all 9,999 pairs"
    ) in small_file
    assert plan_text("pairs: train 7", 7, refit=True, held_out=False) == (
        "all 7 pairs train the model; nothing is held out"
    )
    assert "(no refit)" in plan_text(splits.describe(), 7, refit=False, held_out=True)


@pytest.mark.parametrize(
    ("validation", "test", "message"), [(-0.1, 0.1, "validation_fraction"), (0.5, 0.5, "< 0.9")]
)
def test_bad_fractions(validation, test, message):
    with pytest.raises(ConfigError, match=message):
        split_pairs(_vectors([1, 2], [3, 4]), validation_fraction=validation, test_fraction=test)


def test_samples_split_before_pairing_keeps_duplicates_together():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3)).astype(np.float32)
    features[100:110] = features[0]  # ten copies of one sample
    classes = np.repeat(np.arange(4), 50).astype(str)
    splits = split_samples(SampleSet(features, classes, ["a", "b", "c"]), seed=0)
    seen = _samples_of(splits)
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
    assert splits.strategy == "samples then pairs" and splits.dropped_pairs == 0
    for part in (splits.train, splits.validation, splits.test):
        assert 0 < int((part.labels == 0).sum()) == int((part.labels == 1).sum())


def test_samples_making_fewer_pairs_than_a_pair_file_needs_are_refused_alike():
    """Classes a, a, b make one similar pair (the two a's) and, balanced, one dissimilar: a pair file of two
    pairs is refused, and so are these samples."""
    samples = SampleSet(np.array([[1, 2], [3, 4], [5, 6]], np.float32), np.array(["a", "a", "b"]), ["x", "y"])
    with pytest.raises(DataError) as caught:
        split_samples(samples, validation_fraction=0.0, test_fraction=0.0)
    assert str(caught.value) == (
        "has only 2 pairs (1 similar, 1 dissimilar); training needs at least 2 similar and 2 dissimilar pairs"
    )
    four = SampleSet(np.arange(8, dtype=np.float32).reshape(4, 2), np.array(["a", "a", "b", "b"]), ["x", "y"])
    assert split_samples(four, validation_fraction=0.0, test_fraction=0.0).train.n_pairs == 4


def test_sample_folds_keep_each_fold_s_samples_out_of_its_training():
    """400 pairs over 60 samples: sample k's fold is floor(5 x its hash fraction). Fold f validates on the
    pairs with both samples in f and trains on those with neither in f; every pair with both samples in
    one fold validates exactly once, and no sample is in a fold's training and validation both."""
    rng = np.random.default_rng(0)
    pairs = _vectors(rng.integers(0, 60, 400), rng.integers(0, 60, 400))
    fold_of = np.floor(sample_fractions(np.repeat(np.arange(60, dtype=np.float32)[:, None], 2, axis=1)) * 5)
    left, right = fold_of[pairs.left[:, 0].astype(int)], fold_of[pairs.right[:, 0].astype(int)]
    folds = sample_folds(pairs, 5)
    assert len(folds) == 5
    for fold, (training, validation) in enumerate(folds):
        assert training.n_pairs == int(((left != fold) & (right != fold)).sum())
        assert validation.n_pairs == int(((left == fold) & (right == fold)).sum()) > 0
        seen = {bytes(row) for row in np.concatenate([training.left, training.right])}
        assert not seen & {bytes(row) for row in np.concatenate([validation.left, validation.right])}
    assert sum(validation.n_pairs for _, validation in folds) == int((left == right).sum())
    with pytest.raises(ConfigError, match=r"folds must be >= 2\. Received: folds=1"):
        sample_folds(pairs, 1)
