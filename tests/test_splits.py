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


@pytest.mark.parametrize(
    ("validation", "test", "bounds"),
    [
        # sqrt(0.7), sqrt(0.15), sqrt(0.15) over their sum 1.611257: 0.836660 / 1.611257 and
        # (0.836660 + 0.387298) / 1.611257.
        (0.15, 0.15, (0.5192593, 0.7596296)),
        # sqrt(0.8) / (sqrt(0.8) + sqrt(0.2)) = 2 / 3 exactly; no sample goes to a test split of share 0.
        (0.2, 0.0, (2 / 3, 1.0)),
    ],
)
def test_each_pair_gets_the_split_the_square_root_rule_gives_its_two_samples(validation, test, bounds):
    """Each sample goes to a split by its hash fraction u (`sample_fractions`): train when u is below the
    first bound, validation below the second, else test; the bounds are the running sums of the square
    roots of the three shares over their total (worked out above, by hand). A pair is kept in a split when
    both its samples are in it, and dropped otherwise. Counted here from that rule, pair by pair."""
    rng = np.random.default_rng(0)
    pairs = _vectors(rng.integers(0, 60, 600), rng.integers(0, 60, 600) + 0.5)
    fractions = [sample_fractions(side) for side in (pairs.left, pairs.right)]
    split_of = [(u >= bounds[0]).astype(int) + (u >= bounds[1]) for u in fractions]
    expected = np.where(split_of[0] == split_of[1], split_of[0], 3)
    splits = split_pairs(pairs, validation_fraction=validation, test_fraction=test, seed=0)
    for code, part in enumerate((splits.train, splits.validation, splits.test)):
        wanted = pairs.left[expected == code]
        assert (part.n_pairs if part else 0) == len(wanted)
        if len(wanted):
            np.testing.assert_array_equal(part.left, wanted)
            np.testing.assert_array_equal(part.right, pairs.right[expected == code])
    assert splits.dropped_pairs == int((expected == 3).sum())
    assert min(int((expected == code).sum()) for code in range(3 if test else 2)) > 10  # every split used


def test_a_vector_repeated_in_two_classes_stays_in_one_split_whatever_the_seed():
    """Sample 0 (class 0) is copied into class 2 ten times: a class-by-class split must still send all
    eleven copies to one split. Checked over 50 seeds, as a wrong match between classes and vectors
    leaks the copies into two splits for about half of them."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3)).astype(np.float32)
    features[100:110] = features[0]
    samples = SampleSet(features, np.repeat(np.arange(4), 50).astype(str), ["a", "b", "c"])
    for seed in range(50):
        splits = split_samples(samples, seed=seed)
        seen = _samples_of(splits)
        holding = [index for index, part in enumerate(seen) if bytes(features[0]) in part]
        assert len(holding) == 1, f"seed {seed}: the repeated sample is in splits {holding}"
        assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :]), f"seed {seed}"


# --------------------------------------------------------------------------------------------------
# Cases added for mutation testing (tools/mutation.py).
# --------------------------------------------------------------------------------------------------


def test_sample_hash_values_are_pinned():
    """The hash decides which split every sample of a user's file lands in, in memory and streamed, on any
    machine, so its values are part of the contract: these were computed once and must never change.
    Rows (0, 0) and (-0.0, 0) are the same sample; float64 input hashes as its float32 values; the seed
    counts modulo 2**64; seed 0 is the default."""
    rows = [[0.0, 0.0], [1.0, 2.0], [-0.0, 0.0], [1e30, -3.0]]
    seed_0 = [0.7986518141686829, 0.45559045925391584, 0.7986518141686829, 0.5567400847224571]
    assert sample_fractions(np.array(rows, dtype=np.float32)).tolist() == seed_0
    assert sample_fractions(np.array(rows, dtype=np.float64), seed=0).tolist() == seed_0
    assert sample_fractions(np.array(rows), seed=7).tolist() == [
        0.7479056337359228, 0.021290537141320454, 0.7479056337359228, 0.41528790772385404,
    ]  # fmt: skip
    assert sample_fractions(np.array([[0.5]]), seed=2**64 + 3).tolist() == [0.11907150665581889]
    assert sample_fractions(np.array([[0.5]]), seed=3).tolist() == [0.11907150665581889]
    assert sample_fractions(np.array(rows)).dtype == np.float64


def test_describe_counts_in_words():
    from siamese_core.splits import describe_counts

    counts = {"train": 1200, "validation": 30, "test": 40, "dropped": 5}
    assert describe_counts(counts, "samples", test_kept=10) == (
        "pairs: train 1,200, validation 30, test 40 (split by samples); 5 pairs whose two samples fell into "
        "different splits are left out of all three (no sample is shared between splits); test metrics on "
        "the first 10 test pairs"
    )
    assert describe_counts({"train": 9, "test": 0}, "random", test_kept=0) == (
        "pairs: train 9 (split by pairs at random)"
    )
    assert describe_counts({"train": 9, "test": 4}, "samples then pairs", test_kept=4) == (
        "pairs: train 9, test 4 (split by samples then pairs)"
    )


@pytest.mark.parametrize(
    ("validation", "test", "message"),
    [
        (1.0, 0.0, "validation_fraction must be in [0, 1). Received: validation_fraction=1.0"),
        (-0.1, 0.0, "validation_fraction must be in [0, 1). Received: validation_fraction=-0.1"),
        (0.0, 1.0, "test_fraction must be in [0, 1). Received: test_fraction=1.0"),
        (
            0.5,
            0.4,
            "validation_fraction + test_fraction must be < 0.9 to leave pairs to train on. Received: 0.5 + 0.4",
        ),
    ],
)
def test_fraction_messages_in_full(validation, test, message):
    from siamese_core.splits import check_fractions

    with pytest.raises(ConfigError) as caught:
        check_fractions(validation, test)
    assert str(caught.value) == message
    check_fractions(0.45, 0.44)  # just under 0.9 is allowed


def test_sample_splits_follow_the_square_root_bounds_of_the_hash():
    """Shares 0.5 / 0.25 / 0.25 give sample weights sqrt(0.5), sqrt(0.25), sqrt(0.25) = 0.707, 0.5, 0.5:
    bounds 0.707 / 1.707 = 0.4142 and 1.207 / 1.707 = 0.7071. A sample goes to train below the first
    bound, to validation below the second, to test above; a fraction equal to a bound goes up."""
    from siamese_core.splits import sample_splits

    samples = np.arange(600, dtype=np.float32).reshape(300, 2)
    fractions = sample_fractions(samples, seed=3)
    codes = sample_splits(samples, validation_fraction=0.25, test_fraction=0.25, seed=3)
    low, high = np.sqrt(0.5) / (np.sqrt(0.5) + 1), (np.sqrt(0.5) + 0.5) / (np.sqrt(0.5) + 1)
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, (fractions >= low).astype(int) + (fractions >= high))
    # No test share: nothing goes to test, whatever the rounding; no held-out share: all train.
    no_test = sample_splits(samples, validation_fraction=0.3, test_fraction=0.0, seed=3)
    assert set(no_test.tolist()) == {0, 1}
    only_test = sample_splits(samples, validation_fraction=0.0, test_fraction=0.3, seed=3)
    assert set(only_test.tolist()) == {0, 2}
    none = sample_splits(samples, validation_fraction=0.0, test_fraction=0.0)
    assert none.dtype == np.int8 and not none.any()


def test_pair_splits_codes_with_and_without_the_leakage_rule():
    """Leakage-aware: a pair's code is its samples' split when they agree, else 3. At random: the pair's
    code follows the hash of its two samples side by side, with bounds at the shares themselves
    (0.6 and 0.8 for validation 0.2, test 0.2)."""
    from siamese_core.splits import pair_splits, sample_splits

    left = np.arange(400, dtype=np.float32).reshape(200, 2)
    right = left[::-1] + 1000
    options = {"validation_fraction": 0.2, "test_fraction": 0.2, "seed": 5}
    codes = pair_splits(left, right, **options)
    left_split, right_split = sample_splits(left, **options), sample_splits(right, **options)
    np.testing.assert_array_equal(codes, np.where(left_split == right_split, left_split, 3))
    assert codes.dtype == np.int8 and (codes == 3).any()
    fractions = sample_fractions(np.concatenate([left, right], axis=1), 5)
    at_random = pair_splits(left, right, leakage_aware=False, **options)
    np.testing.assert_array_equal(at_random, (fractions >= 0.6).astype(int) + (fractions >= 0.8))
    assert at_random.dtype == np.int8
    no_test = pair_splits(left, right, validation_fraction=0.3, test_fraction=0.0, leakage_aware=False)
    assert set(no_test.tolist()) == {0, 1}
    none = pair_splits(left, right, validation_fraction=0.0, test_fraction=0.0)
    assert none.dtype == np.int8 and not none.any() and len(none) == 200
    with pytest.raises(ConfigError, match="test_fraction must be in"):
        pair_splits(left, right, validation_fraction=0.1, test_fraction=1.5, leakage_aware=False)


def test_split_pairs_defaults_and_empty_splits():
    """Defaults: 0.15 / 0.15, seed 0, leakage-aware. With no held-out share the held-out splits are None."""
    from siamese_core.splits import pair_splits

    pairs = _vectors(np.arange(300), np.arange(300) + 1000)
    splits = split_pairs(pairs)
    codes = pair_splits(pairs.left, pairs.right, validation_fraction=0.15, test_fraction=0.15, seed=0)
    assert splits.strategy == "samples"
    assert (
        splits.train.n_pairs,
        splits.validation.n_pairs,
        splits.test.n_pairs,
        splits.dropped_pairs,
    ) == tuple(int((codes == i).sum()) for i in range(4))
    only_validation = split_pairs(pairs, validation_fraction=0.2, test_fraction=0.0)
    assert only_validation.test is None and only_validation.validation is not None
    only_test = split_pairs(pairs, validation_fraction=0.0, test_fraction=0.2)
    assert only_test.validation is None and only_test.test is not None


def test_sample_folds_need_two_folds_and_use_the_seed():
    pairs = _vectors(np.arange(100), np.arange(100) + 1000)
    with pytest.raises(ConfigError) as caught:
        sample_folds(pairs, 1)
    assert str(caught.value) == "folds must be >= 2. Received: folds=1"
    two = sample_folds(pairs, 2, seed=4)
    fold_of = np.floor(sample_fractions(pairs.left, 4) * 2), np.floor(sample_fractions(pairs.right, 4) * 2)
    for fold, (train, validation) in enumerate(two):
        assert train.n_pairs == int(((fold_of[0] != fold) & (fold_of[1] != fold)).sum())
        assert validation.n_pairs == int(((fold_of[0] == fold) & (fold_of[1] == fold)).sum())


def test_make_splits_passes_its_settings_on():
    from siamese_core.splits import make_splits, split_samples

    pairs = _vectors(np.arange(300), np.arange(300) + 1000)
    made = make_splits(pairs, validation_fraction=0.2, test_fraction=0.1, seed=3, leakage_aware=False)
    direct = split_pairs(pairs, validation_fraction=0.2, test_fraction=0.1, seed=3, leakage_aware=False)
    assert made.strategy == "random"
    assert (made.train.n_pairs, made.validation.n_pairs, made.test.n_pairs) == (
        direct.train.n_pairs, direct.validation.n_pairs, direct.test.n_pairs,
    )  # fmt: skip
    rng = np.random.default_rng(1)
    samples = SampleSet(
        rng.normal(size=(120, 3)).astype(np.float32), np.repeat(list("abcd"), 30), list("xyz")
    )
    made = make_splits(samples, validation_fraction=0.2, test_fraction=0.1, seed=3, pairs_per_sample=2)
    direct = split_samples(samples, validation_fraction=0.2, test_fraction=0.1, seed=3, pairs_per_sample=2)
    assert made.strategy == "samples then pairs"
    for a, b in zip(
        (made.train, made.validation, made.test), (direct.train, direct.validation, direct.test), strict=True
    ):
        np.testing.assert_array_equal(a.left, b.left)
        np.testing.assert_array_equal(a.labels, b.labels)


def test_the_plan_in_full_for_random_splits_samples_and_no_refit():
    random_split = plan_text(
        "pairs: train 8, test 2 (split by pairs at random)", 20_000, refit=True, held_out=True
    )
    assert random_split == (
        "pairs: train 8, test 2 (split by pairs at random). A selection model trains on the training split "
        "(no validation pairs: it trains every epoch and the threshold comes from its training pairs); then "
        "the final model is refit on all 20,000 pairs; the metrics come from the test pairs (split at "
        "random: their samples may also be in training pairs, so the metrics flatter the model)"
    )
    samples = plan_text(
        "pairs: train 8, test 2 (split by samples then pairs)", None, refit=True, held_out=True
    )
    assert samples == (
        "pairs: train 8, test 2 (split by samples then pairs). A selection model trains on the training "
        "split (no validation pairs: the threshold comes from its training pairs; if the samples make under "
        "10,000 pairs, 5 folds by sample choose how long); then the final model is refit on pairs made from "
        "all the samples; the metrics come from the test pairs, which the selection model never sees"
    )
    no_refit = plan_text("pairs: train 8, test 2 (split by samples)", 10, refit=False, held_out=True)
    assert no_refit == (
        "pairs: train 8, test 2 (split by samples). The final model is the one trained on the training split "
        "(no refit); the metrics come from the test pairs, which the selection model never sees"
    )
    assert plan_text("pairs: train 8", None, refit=True, held_out=False) == (
        "pairs made from all the samples train the model; nothing is held out"
    )


def test_split_samples_shares_each_class_and_pairs_each_split_with_its_own_seed():
    """Four classes of 20 distinct samples, validation 0.25 and test 0.25: round(20 x 0.25) = 5 samples of
    each class go to validation, 5 to test, 10 stay in training. Each split's pairs are exactly what
    `make_pairs` makes of that split's samples (in their input order) with 4 pairs per sample, no hard
    negatives and seed + 0, + 1, + 2 for train, validation and test."""
    from siamese_core.pairing import make_pairs

    rng = np.random.default_rng(2)
    features = rng.normal(size=(80, 3)).astype(np.float32)
    classes = np.tile(np.array(["w", "x", "y", "z"]), 20)
    samples = SampleSet(features, classes, ["a", "b", "c"])
    splits = split_samples(samples, validation_fraction=0.25, test_fraction=0.25, seed=11)
    for offset, (part, per_class) in enumerate(
        zip((splits.train, splits.validation, splits.test), (10, 5, 5), strict=True)
    ):
        vectors = set(map(bytes, np.concatenate([part.left, part.right])))
        members = np.array([bytes(row) in vectors for row in features])
        assert {name: int((classes[members] == name).sum()) for name in "wxyz"} == dict.fromkeys(
            "wxyz", per_class
        )
        expected = make_pairs(samples.subset(np.flatnonzero(members)), pairs_per_sample=4, seed=11 + offset)
        np.testing.assert_array_equal(part.left, expected.left)
        np.testing.assert_array_equal(part.right, expected.right)
        np.testing.assert_array_equal(part.labels, expected.labels)
    again = split_samples(samples, validation_fraction=0.25, test_fraction=0.25, seed=11)
    np.testing.assert_array_equal(again.validation.left, splits.validation.left)


def test_defaults_of_the_split_functions():
    """seed 0 and 0.15 / 0.15 are the defaults everywhere; make_splits pairs 8 per sample, leakage-aware."""
    from siamese_core.splits import make_splits, pair_splits, sample_splits

    pairs = _vectors(np.arange(300), np.arange(300) + 1000)
    options = {"validation_fraction": 0.2, "test_fraction": 0.2}
    np.testing.assert_array_equal(
        sample_splits(pairs.left, **options), sample_splits(pairs.left, **options, seed=0)
    )
    np.testing.assert_array_equal(
        pair_splits(pairs.left, pairs.right, **options),
        pair_splits(pairs.left, pairs.right, **options, seed=0),
    )
    seeded = split_pairs(pairs, seed=3)
    codes = pair_splits(pairs.left, pairs.right, validation_fraction=0.15, test_fraction=0.15, seed=3)
    assert seeded.train.n_pairs == int((codes == 0).sum()) and seeded.dropped_pairs == int((codes == 3).sum())
    made = make_splits(pairs)
    assert made.strategy == "samples"
    assert (made.train.n_pairs, made.dropped_pairs) == (
        split_pairs(pairs).train.n_pairs,
        split_pairs(pairs).dropped_pairs,
    )
    rng = np.random.default_rng(1)
    samples = SampleSet(
        rng.normal(size=(120, 3)).astype(np.float32), np.repeat(list("abcd"), 30), list("xyz")
    )
    by_default = make_splits(samples)
    explicit = split_samples(
        samples, validation_fraction=0.15, test_fraction=0.15, seed=0, pairs_per_sample=8
    )
    np.testing.assert_array_equal(by_default.train.left, explicit.train.left)
    hard = make_splits(samples, hard_negatives=True)
    hard_direct = split_samples(samples, pairs_per_sample=8, hard_negatives=True)
    np.testing.assert_array_equal(hard.train.right, hard_direct.train.right)
    plain = split_samples(samples)
    assert plain.train.n_pairs == split_samples(samples, seed=0, pairs_per_sample=4).train.n_pairs
    np.testing.assert_array_equal(plain.validation.left, split_samples(samples, seed=0).validation.left)


def test_split_samples_passes_its_pairing_settings_to_every_split():
    """2 pairs per sample with hard negatives: each split's pairs are make_pairs' with the same settings."""
    from siamese_core.pairing import make_pairs

    rng = np.random.default_rng(2)
    features = rng.normal(size=(80, 3)).astype(np.float32)
    classes = np.tile(np.array(["w", "x", "y", "z"]), 20)
    samples = SampleSet(features, classes, ["a", "b", "c"])
    splits = split_samples(samples, seed=4, pairs_per_sample=2, hard_negatives=True)
    for offset, part in enumerate((splits.train, splits.validation, splits.test)):
        vectors = set(map(bytes, np.concatenate([part.left, part.right])))
        members = np.flatnonzero([bytes(row) in vectors for row in features])
        expected = make_pairs(
            samples.subset(members), pairs_per_sample=2, hard_negatives=True, seed=4 + offset
        )
        np.testing.assert_array_equal(part.right, expected.right)


def test_split_samples_refusals_name_the_file():
    """a, a, b, b with half the samples to validation: one sample of each class stays in training, which
    cannot make a similar pair. a, a, b with nothing held out: one similar pair and, balanced, one
    dissimilar, refused as a pair file of two pairs is. Both messages name the file."""
    from siamese_core.pairs import LoadInfo

    info = LoadInfo(source="cells.csv", kind="samples")
    features = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.float32)
    four = SampleSet(features, np.array(list("aabb")), ["x", "y"], info=info)
    with pytest.raises(DataError) as caught:
        split_samples(four, validation_fraction=0.5, test_fraction=0.0)
    assert str(caught.value) == (
        "cells.csv: the training share of the samples cannot form both similar and dissimilar pairs; "
        "use more samples per class or smaller validation and test shares"
    )
    three = SampleSet(features[:3], np.array(list("aab")), ["x", "y"], info=info)
    with pytest.raises(DataError) as caught:
        split_samples(three, validation_fraction=0.0, test_fraction=0.0)
    assert str(caught.value) == (
        "cells.csv: has only 2 pairs (1 similar, 1 dissimilar); training needs at least 2 similar and 2 "
        "dissimilar pairs"
    )


def test_pair_samples_seen_compares_float32_values():
    """Seen chunks in float64 hold 0.1 as the float32 training file does; 1e-9 is not 0 (adding 1 before
    comparing would make it so); -0.0 is 0.0."""
    pairs = PairSet(
        np.array([[0.1, 0.0], [0.0, 0.0]], np.float32), np.array([[5, 5], [6, 6]], np.float32),
        np.array([0.0, 1.0], np.float32), ["f0", "f1"],
    )  # fmt: skip
    seen_chunks = [(np.array([[0.1, -0.0], [1e-9, 0.0]]), np.array([[9.0, 9.0], [8.0, 8.0]]), None)]
    assert pair_samples_seen(pairs, seen_chunks).tolist() == [True, False]


def test_describe_counts_without_a_test_count():
    from siamese_core.splits import describe_counts

    assert describe_counts({"train": 9}, "samples", test_kept=0) == "pairs: train 9 (split by samples)"


def test_split_samples_small_splits():
    """a x 3, b x 2 with validation 0.34: one sample of each class to validation (round(1.02) = 1,
    round(0.68) = 1). Training keeps a, a, b: one similar pair and, balanced, one dissimilar, which is
    kept because all five samples make enough pairs; validation (one a, one b) has no similar pair: None.
    a x 10, b x 2 with validation 0.2: validation gets two a's and no b (round(0.4) = 0): one class only,
    so no validation pairs either."""
    features = np.arange(24, dtype=np.float32).reshape(12, 2)
    small = split_samples(
        SampleSet(features[:5], np.array(list("aaabb")), ["x", "y"]),
        validation_fraction=0.34,
        test_fraction=0.0,
    )
    assert small.train.n_pairs == 2 and sorted(small.train.labels.tolist()) == [0.0, 1.0]
    assert small.validation is None
    one_class = split_samples(
        SampleSet(features, np.array(list("aaaaaaaaaabb")), ["x", "y"]),
        validation_fraction=0.2,
        test_fraction=0.0,
    )
    assert one_class.validation is None and one_class.train.n_pairs > 0
