import numpy as np
import pytest

from siamese_core.errors import ConfigError
from siamese_core.pairs import PairSet, SampleSet
from siamese_core.splits import sample_keys, split_pairs, split_samples


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
    left, right = sample_keys(pairs)
    assert left[0] == sample_keys(_vectors([0.0, 1.0], [1.0, 2.0]))[0][0]
    assert left[1] == right[0]  # the vector (1, 1) is one sample on both sides


def test_small_groups_go_whole_to_one_split_and_nothing_is_dropped():
    """100 disjoint pairs of distinct samples: every pair is its own group."""
    pairs = _vectors(np.arange(100), np.arange(100) + 1000)
    splits = split_pairs(pairs, validation_fraction=0.2, test_fraction=0.2, seed=0)
    assert splits.dropped_pairs == 0 and splits.strategy == "groups"
    assert (splits.train.n_pairs, splits.validation.n_pairs, splits.test.n_pairs) == (60, 20, 20)


def test_no_sample_is_in_two_splits_even_when_reused():
    """Chains of samples reused across pairs: 20 groups of 10 pairs; groups never straddle splits."""
    rng = np.random.default_rng(0)
    left, right = [], []
    for group in range(20):
        members = group * 100 + np.arange(6)
        left.extend(rng.choice(members, 10))
        right.extend(rng.choice(members, 10) + 0.5)
    splits = split_pairs(_vectors(left, right), seed=1)
    seen = _samples_of(splits)
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
    assert splits.dropped_pairs == 0


def test_one_giant_group_falls_back_to_samples_and_reports_drops():
    """Every pair shares sample 0 with... a star: one group; cross-split pairs must be dropped."""
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
    assert "dropped because their two samples fell into different splits" in splits.describe()


def test_random_split_when_leakage_check_is_off():
    pairs = _vectors(np.zeros(50), np.ones(50))  # one sample pair repeated: leakage-aware would keep 1 group
    splits = split_pairs(pairs, leakage_aware=False, seed=0)
    assert splits.strategy == "random" and splits.dropped_pairs == 0
    assert splits.train.n_pairs + splits.validation.n_pairs + splits.test.n_pairs == 50


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
