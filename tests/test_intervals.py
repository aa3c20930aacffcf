"""Tests of siamese_core.intervals: the weighted metrics and the interval rule by hand on tiny inputs, the
resampling by what it must do (pairs drawn alone, samples drawn with their pairs), and coverage by
simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import evaluate_distances
from siamese_core.intervals import (
    Interval,
    PairBootstrap,
    bootstrap_intervals,
    corrected_interval,
    pair_sample_ids,
    weighted_metrics,
)

# Sorted by distance: 0.1 S, 0.4 D, 0.5 S, 0.9 D (S similar, D dissimilar). Unweighted: AUC 0.75, EER 0.5.
DISTANCES = np.array([0.1, 0.5, 0.4, 0.9])
LABELS = np.array([0, 0, 1, 1])


def test_weighted_metrics_by_hand():
    """Weights (in the input order: 0.1 S, 0.5 S, 0.4 D, 0.9 D) of five rows, each worked out.

    Row [2, 1, 1, 3]: similar weight 3, dissimilar 4. AUC: (0.1 S, w 2) is closer than 0.4 D (w 1) and
    0.9 D (w 3): 2 + 6; 0.5 S (w 1) is closer than 0.9 D only: 3; 11 of 3 x 4 = 12 combinations: 11/12.
    EER: at 0.4 (0.1 S and 0.4 D called similar) FPR 1/4, FNR 1/3 (gap FPR - FNR = -1/12); at 0.5 FPR 1/4,
    FNR 0 (gap 1/4): a quarter of the way, FPR stays 1/4 and FNR falls to 1/3 - 1/12 = 1/4: EER 0.25.
    At 0.45: tp 2 (0.1 S), fp 1 (0.4 D): accuracy (2 + 4 - 1) / 7 = 5/7, precision 2/3, recall 2/3.
    Row [0, 1, 1, 0]: 0.5 S and 0.4 D. AUC 0; FPR and FNR meet at 1 (threshold 0.4): EER 1. At 0.45: tp 0,
    fp 1: accuracy 0, precision 0, recall 0.
    Row [1, 0, 0, 1]: 0.1 S and 0.9 D. AUC 1, EER 0; at 0.45 everything right: 1, 1, 1.
    Row [0, 0, 1, 1]: no similar weight: no AUC or EER (NaN); at 0.45 fp 1 of 2: accuracy 1/2, precision
    0 (0 of 1 called), recall 0 (no similar pair: 0, as `metrics_at_threshold` says).
    Row of zeros: nothing at all (NaN everywhere).
    """
    weights = [[2, 1, 1, 3], [0, 1, 1, 0], [1, 0, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    found = weighted_metrics(DISTANCES, LABELS, weights, threshold=0.45)
    nan = math.nan
    np.testing.assert_allclose(found.auc, [11 / 12, 0, 1, nan, nan])
    np.testing.assert_allclose(found.eer, [0.25, 1, 0, nan, nan])
    np.testing.assert_allclose(found.accuracy, [5 / 7, 0, 1, 0.5, nan])
    np.testing.assert_allclose(found.precision, [2 / 3, 0, 1, 0, nan])
    np.testing.assert_allclose(found.recall, [2 / 3, 0, 1, 0, nan])


def test_whole_weights_are_repeated_pairs():
    """Weight w is the pair repeated w times: [2, 1, 1, 3] measures as the list 0.1 S twice, 0.5 S,
    0.4 D and 0.9 D three times, through `evaluate_distances` (scikit-learn's AUC, the ROC's EER); and
    weights of 1 are the pairs as they are (AUC 0.75, EER 0.5)."""
    repeated = evaluate_distances([0.1, 0.1, 0.5, 0.4, 0.9, 0.9, 0.9], [0, 0, 0, 1, 1, 1, 1], threshold=0.45)
    found = weighted_metrics(DISTANCES, LABELS, [2, 1, 1, 3], threshold=0.45)
    assert found.auc[0] == pytest.approx(repeated.auc)
    assert found.eer[0] == pytest.approx(repeated.eer)
    assert found.accuracy[0] == pytest.approx(repeated.at_threshold.accuracy)
    unweighted = weighted_metrics(DISTANCES, LABELS, np.ones(4))
    assert (unweighted.auc[0], unweighted.eer[0]) == pytest.approx((0.75, 0.5))
    assert unweighted.accuracy is None


def test_ties_across_classes_count_half():
    """0.2 S and 0.2 D tied, 0.1 S, 0.3 D: of the 4 combinations, 3 have the similar pair closer and one
    is the tie (half): AUC 3.5 / 4. Weight 3 on the tied dissimilar pair: 0.1 S beats it 3 times, the tie
    gives 3 x 1/2, and 0.3 D is beaten twice: (3 + 1.5 + 2) / (2 x 4) = 6.5 / 8."""
    distances, labels = [0.1, 0.2, 0.2, 0.3], [0, 0, 1, 1]
    assert weighted_metrics(distances, labels, [1, 1, 1, 1]).auc[0] == pytest.approx(3.5 / 4)
    assert weighted_metrics(distances, labels, [1, 1, 3, 1]).auc[0] == pytest.approx(6.5 / 8)


def test_pair_sample_ids_name_equal_vectors_alike():
    """Three samples A = (1, 2), B = (3, 4), C = (5, 6) in pairs (A, B), (A, C), (B, A); -0.0 is 0.0."""
    left = np.array([[1, 2], [1, 2], [3, 4], [0.0, 1]], dtype=np.float32)
    right = np.array([[3, 4], [5, 6], [1, 2], [-0.0, 1]], dtype=np.float32)
    ids = pair_sample_ids(left, right)
    a, b, c, zero = ids[0, 0], ids[0, 1], ids[1, 1], ids[3, 0]
    assert ids.tolist() == [[a, b], [a, c], [b, a], [zero, zero]]
    assert sorted({a, b, c, zero}) == [0, 1, 2, 3]
    with pytest.raises(DataError, match="one shape"):
        pair_sample_ids(left, right[:2])


def test_pairs_bootstrap_percentiles_by_hand():
    """Without sample ids the two pairs 0.05 S and 0.1 D are drawn, two at a time, with replacement.

    At 0.15 both are called similar: accuracy is the share of the similar pair, 1 (it drawn twice, chance
    1/4), 1/2 (one each, 1/2) or 0 (the dissimilar twice, 1/4). With 20,000 resamples the shares sit
    within 0.01 of those, so the 30% and 70% quantiles (confidence 0.4) are both 1/2 and the 20% and 80%
    (confidence 0.6) are 0 and 1. AUC and EER exist only with one of each (about half the resamples),
    and are then 1 and 0.
    """
    narrow = bootstrap_intervals([0.05, 0.1], [0, 1], threshold=0.15, resamples=20_000, confidence=0.4)
    assert (narrow.accuracy, narrow.precision) == (Interval(0.5, 0.5), Interval(0.5, 0.5))
    assert narrow.recall == Interval(1.0, 1.0)  # the similar pair, when drawn, is called similar
    assert (narrow.auc, narrow.eer) == (Interval(1.0, 1.0), Interval(0.0, 0.0))
    assert narrow.kept_ranking == pytest.approx(10_000, abs=300)
    assert narrow.kept_threshold == 20_000
    wide = bootstrap_intervals([0.05, 0.1], [0, 1], threshold=0.15, resamples=20_000, confidence=0.6)
    assert wide.accuracy == Interval(0.0, 1.0)
    assert narrow.resampled == "pairs" and narrow.n_units == 2
    assert "pairs were drawn alone and the intervals may be too narrow" in narrow.describe()
    assert "without a similar or without a dissimilar pair were left out" in narrow.describe()


def test_corrected_interval_by_hand():
    """Samples replicates 0, 1, 2, 3, 4 (variance 2.5), estimate 2, confidence 0.5: quantiles 1 and 3.

    Pair-level replicates 0, 1 (variance 0.5): variance wanted 2.5 - 2 x 0.5 = 1.5, the ends move toward
    2 by sqrt(1.5 / 2.5). Pair-level 0, 2 (variance 2): 2.5 - 4 < 2, so 2, never below the pairs' own:
    sqrt(2 / 2.5). Pair-level all equal (variance 0): the samples' interval as it is. NaN replicates
    (resamples that could not measure) are left out.
    """
    samples = [0, 1, 2, 3, 4, math.nan]
    shrink = math.sqrt(1.5 / 2.5)
    assert corrected_interval(2.0, samples, [0, 1], confidence=0.5) == Interval(2 - shrink, 2 + shrink)
    floor = math.sqrt(2 / 2.5)
    assert corrected_interval(2.0, samples, [0, 2], confidence=0.5) == Interval(2 - floor, 2 + floor)
    assert corrected_interval(2.0, samples, [1, 1, math.nan], confidence=0.5) == Interval(1.0, 3.0)
    assert math.isnan(corrected_interval(2.0, [math.nan], [1, 2]).low)


def test_samples_bootstrap_of_a_perfect_separation():
    """Similar pairs closer than every dissimilar one, in every resample: AUC 1, EER 0, and at 0.5 (between
    the classes) accuracy, precision and recall 1, whatever is drawn."""
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 2
    distances = np.where(labels == 0, rng.uniform(0, 0.4, 60), rng.uniform(0.6, 1, 60))
    ids = rng.integers(0, 20, (60, 2))
    found = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=0.5, resamples=200)
    assert (found.auc, found.eer) == (Interval(1.0, 1.0), Interval(0.0, 0.0))
    assert found.accuracy == found.precision == found.recall == Interval(1.0, 1.0)
    assert found.resampled == "samples" and found.n_units == len(np.unique(ids))


def _pairs_sharing(n_samples: int, n_pairs: int, seed: int, sample_effect: float):
    """Pairs of distinct samples drawn at random from `n_samples`, half similar: D = label (0 or 1) +
    u(left) + u(right) + noise(0.5), with u ~ N(0, sample_effect) per sample."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n_samples, n_pairs)
    right = (left + rng.integers(1, n_samples, n_pairs)) % n_samples
    labels = rng.integers(0, 2, n_pairs)
    effect = rng.normal(0, sample_effect, n_samples)
    distances = labels + effect[left] + effect[right] + rng.normal(0, 0.5, n_pairs)
    return distances, labels, np.stack([left, right], axis=1)


def _width(interval: Interval) -> float:
    return interval.high - interval.low


def test_pairs_sharing_no_sample_give_the_pairs_width():
    """Every pair has two samples of its own: resampling samples is resampling pairs, and the samples
    interval must be about as wide as the pairs one. (The product of two counts alone has variance 3, not
    1: uncorrected, the samples interval would be sqrt(3) = 1.73 times as wide.)"""
    distances, labels, _ = _pairs_sharing(2, 2000, seed=1, sample_effect=0.0)
    own = np.arange(4000).reshape(2000, 2)
    by_samples = bootstrap_intervals(distances, labels, sample_ids=own, threshold=1.0)
    by_pairs = bootstrap_intervals(distances, labels, threshold=1.0)
    for name in ("auc", "eer", "accuracy", "precision", "recall"):
        ratio = _width(getattr(by_samples, name)) / _width(getattr(by_pairs, name))
        assert 0.8 < ratio < 1.25, (name, ratio)


def test_shared_samples_widen_the_interval():
    """150 samples in 3,000 pairs (40 pairs each) with a strong effect per sample: pairs that share a
    sample move together, and the samples interval of the AUC is much wider than the pairs one (its
    sampling spread over repeated data sets is about 1.5 times the pairs bootstrap's, measured)."""
    distances, labels, ids = _pairs_sharing(150, 3000, seed=2, sample_effect=0.5)
    by_samples = bootstrap_intervals(distances, labels, sample_ids=ids)
    by_pairs = bootstrap_intervals(distances, labels)
    assert _width(by_samples.auc) > 1.3 * _width(by_pairs.auc)
    assert _width(by_samples.eer) > 1.3 * _width(by_pairs.eer)


def _coverage(make, true_auc: float, repetitions: int = 200) -> float:
    covered = 0
    for repetition in range(repetitions):
        distances, labels, ids = make(repetition)
        auc = bootstrap_intervals(distances, labels, sample_ids=ids).auc
        covered += auc.low <= true_auc <= auc.high
    return covered / repetitions


def test_coverage_of_the_auc_from_two_known_distributions():
    """Distances of similar pairs from N(0, 1), of dissimilar ones from N(1, 1): the AUC is
    P(X < Y) = Phi(1 / sqrt(2)) = 0.7602. The 2,000 pairs of each data set are among 300 samples (about
    13 pairs each). Over 200 data sets (seeds 0 to 199) the 95% interval covers 0.7602 97.0% of the
    time (94.5% over 400 other seeds); uncorrected, the product weights would cover nearly always."""
    true_auc = 0.5 * (1 + math.erf(1 / math.sqrt(2) / math.sqrt(2)))

    def make(seed):
        rng = np.random.default_rng(seed)
        left = rng.integers(0, 300, 2000)
        right = (left + rng.integers(1, 300, 2000)) % 300
        labels = rng.integers(0, 2, 2000)
        return rng.normal(labels, 1.0), labels, np.stack([left, right], axis=1)

    assert 0.92 <= _coverage(make, true_auc) <= 0.98


def test_coverage_of_the_auc_when_samples_move_their_pairs():
    """D = label + u(left) + u(right) + e, u ~ N(0, 0.5) per sample, e ~ N(0, 0.5): similar and dissimilar
    distances are normal with variance 2 x 0.25 + 0.25 = 0.75, so the AUC is Phi(1 / sqrt(1.5)) = 0.7929.
    Pairs of one sample are correlated through u. Over 200 data sets (seeds 0 to 199) the samples interval
    covers 0.7929 93.5% of the time (94.8% over 400 other seeds); resampling pairs covers 90.0% (90.2%)."""
    true_auc = 0.5 * (1 + math.erf(1 / math.sqrt(1.5) / math.sqrt(2)))
    assert 0.92 <= _coverage(lambda seed: _pairs_sharing(300, 2000, seed, 0.5), true_auc) <= 0.98


def test_same_seed_same_intervals_and_one_pass_equals_two():
    """Deterministic for a seed; another seed draws other resamples. The metrics at a threshold asked
    after the AUC (read from the kept totals and the pairs on the short side) equal those measured with the
    AUC in one pass, on the same resamples."""
    distances, labels, ids = _pairs_sharing(80, 600, seed=3, sample_effect=0.3)
    once = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=0.9, resamples=300)
    again = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=0.9, resamples=300)
    assert once == again
    other = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=0.9, resamples=300, seed=1)
    assert other.auc != once.auc
    bootstrap = PairBootstrap(distances, labels, sample_ids=ids, resamples=300)
    bootstrap.ranking()
    for threshold in (0.9, 0.2, 1.8):  # called similar: about half, few, nearly all
        late = bootstrap.at_threshold(threshold)
        together = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=threshold, resamples=300)
        assert late == (together.accuracy, together.precision, together.recall)
    assert bootstrap.intervals(0.9) == once


def test_a_pair_of_a_sample_with_itself_is_weighted_once_on_average():
    """Pairs (a, a): drawn with k * k they would weigh 2 on average (E k^2 = 2 for a count of mean 1);
    weighted k times a count of their own they weigh 1, and the samples interval of a set of only such
    pairs is about as wide as the pairs one."""
    distances, labels, _ = _pairs_sharing(2, 2000, seed=4, sample_effect=0.0)
    itself = np.repeat(np.arange(2000)[:, None], 2, axis=1)
    by_samples = bootstrap_intervals(distances, labels, sample_ids=itself)
    by_pairs = bootstrap_intervals(distances, labels)
    assert 0.8 < _width(by_samples.auc) / _width(by_pairs.auc) < 1.25


def test_evaluate_distances_gives_intervals_when_asked():
    """`evaluate_distances(intervals=True)` carries them, at its threshold, and `to_dict` lists them as
    [low, high]; without, neither is there."""
    distances, labels, ids = _pairs_sharing(40, 300, seed=5, sample_effect=0.3)
    result = evaluate_distances(distances, labels, threshold=0.8, intervals=True, sample_ids=ids)
    expected = bootstrap_intervals(distances, labels, sample_ids=ids, threshold=0.8)
    assert result.intervals == expected
    found = result.to_dict()
    assert found["auc_ci"] == [expected.auc.low, expected.auc.high]
    assert found["recall_ci"] == [expected.recall.low, expected.recall.high]
    assert (found["ci_resamples"], found["ci_resampled"], found["ci_units"]) == (1000, "samples", 40)
    plain = evaluate_distances(distances, labels)
    assert plain.intervals is None and "auc_ci" not in plain.to_dict()


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="confidence must be between 0 and 1"):
        bootstrap_intervals(DISTANCES, LABELS, confidence=95)
    with pytest.raises(ConfigError, match="resamples must be a positive integer"):
        bootstrap_intervals(DISTANCES, LABELS, resamples=0)
    with pytest.raises(DataError, match="sample_ids must be"):
        bootstrap_intervals(DISTANCES, LABELS, sample_ids=[[0, 1]])
    with pytest.raises(DataError, match="finite and >= 0"):
        weighted_metrics(DISTANCES, LABELS, [1, -1, 1, 1])
    with pytest.raises(DataError, match="both similar and dissimilar"):
        bootstrap_intervals([0.1, 0.2], [0, 0])
    assert Interval(math.nan, 0.5).as_list() == [None, 0.5]
