import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError
from siamese_core.pairing import make_pairs
from siamese_core.pairs import SampleSet


def _samples(classes, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    classes = np.asarray(classes).astype(str)
    features = rng.normal(size=(len(classes), n_features)).astype(np.float32)
    return SampleSet(features, classes, [f"f{i}" for i in range(n_features)])


def test_pairs_are_balanced_and_labels_match_classes():
    samples = _samples(np.repeat(np.arange(5), 20))
    pairs = make_pairs(samples, pairs_per_sample=4, seed=3)
    n_similar = int((pairs.labels == 0).sum())
    assert n_similar == pairs.n_pairs - n_similar > 0
    first, second = pairs.sample_rows[:, 0] - 1, pairs.sample_rows[:, 1] - 1
    same_class = samples.classes[first] == samples.classes[second]
    np.testing.assert_array_equal(same_class, pairs.labels == 0)
    assert (first != second).all()
    np.testing.assert_array_equal(pairs.left, samples.features[first])
    np.testing.assert_array_equal(pairs.right, samples.features[second])


def test_same_seed_same_pairs_and_no_duplicates():
    samples = _samples(np.repeat(np.arange(3), 10))
    one = make_pairs(samples, seed=7)
    two = make_pairs(samples, seed=7)
    np.testing.assert_array_equal(one.sample_rows, two.sample_rows)
    unordered = np.sort(one.sample_rows, axis=1)
    assert len(np.unique(unordered, axis=0)) == one.n_pairs


def test_hard_negatives_are_the_nearest_of_another_class():
    """Class a sits at 0 and 10; class b at 1 (near 0) and 50: the hard negative of 0 is 1, never 50."""
    features = np.array([[0.0], [0.1], [10.0], [1.0], [1.1], [50.0]], dtype=np.float32)
    samples = SampleSet(features, np.array(["a", "a", "a", "b", "b", "b"]), ["x"])
    pairs = make_pairs(samples, pairs_per_sample=2, hard_negatives=True, seed=0)
    dissimilar = pairs.sample_rows[pairs.labels == 1] - 1
    for first, second in dissimilar:
        anchor, partner = sorted((first, second))
        assert samples.classes[first] != samples.classes[second]
        assert {anchor, partner} != {0, 5} and {anchor, partner} != {1, 5}


def test_one_class_or_singletons_are_refused():
    with pytest.raises(DataError, match="one class"):
        make_pairs(_samples(["a"] * 5))
    with pytest.raises(DataError, match="no class has two samples"):
        make_pairs(_samples(["a", "b", "c"]))


@pytest.mark.parametrize("pairs_per_sample", [0, 1, -3])
def test_pairs_per_sample_below_two_is_a_setting_error(pairs_per_sample):
    """A user's setting (CLI: --pairs-per-sample), so a ConfigError: exit 2, not an internal error."""
    with pytest.raises(ConfigError) as caught:
        make_pairs(_samples(["a", "a", "b", "b"]), pairs_per_sample=pairs_per_sample)
    assert (
        str(caught.value) == f"pairs_per_sample must be >= 2. Received: pairs_per_sample={pairs_per_sample}"
    )
