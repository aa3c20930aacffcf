"""Tests of siamese_core.intervals: the weighted metrics and the interval rule by hand on tiny inputs, the
resampling by what it must do (pairs drawn alone, samples drawn with their pairs), and coverage by
simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from siamese_core.comparison import compare_aucs
from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import evaluate_distances
from siamese_core.intervals import (
    Interval,
    PairBootstrap,
    bootstrap_intervals,
    corrected_interval,
    pair_sample_ids,
)
from siamese_core.weighted import weighted_metrics

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


def test_compare_aucs_by_hand():
    """Similar pairs S1, S2 and a dissimilar pair D; B is A with the distances of S2 and D swapped.

    A: S1 0.1, S2 0.3, D 0.2: S1 is closer than D, S2 is not: AUC 1/2. B: S1 0.1, S2 0.2, D 0.3: AUC 1.
    B - A = 1/2. Drawing the three pairs three times with replacement (counts c1, c2, cD), a resample
    has an AUC when cD > 0 and c1 + c2 > 0: (2, 0, 1), (0, 2, 1), (1, 0, 2), (0, 1, 2) with chance 3/27
    each and (1, 1, 1) with 6/27, 18/27 = 2/3 in all. Then A's AUC is c1 / (c1 + c2) and B's 1, so the
    difference c2 / (c1 + c2) is 0, 1/2 or 1, a third of the time each. With 20,000 resamples: the 25% and
    75% quantiles (confidence 0.5) are 0 and 1, the 40% and 60% (confidence 0.2) both 1/2; B is ahead in
    2/3 of the resamples, and the p-value is 2 x min(1/3 at or below 0, 1 at or above) = 2/3.
    """
    a, b, labels = [0.1, 0.3, 0.2], [0.1, 0.2, 0.3], [0, 0, 1]
    wide = compare_aucs(a, b, labels, resamples=20_000, confidence=0.5)
    assert (wide.auc_a, wide.auc_b, wide.difference) == (0.5, 1.0, 0.5)
    assert wide.interval == Interval(0.0, 1.0)
    assert wide.auc_b_interval == Interval(1.0, 1.0)
    assert wide.kept == pytest.approx(20_000 * 2 / 3, abs=300)
    assert wide.share_b_better == pytest.approx(2 / 3, abs=0.015)
    assert wide.p_value == pytest.approx(2 / 3, abs=0.03)
    assert (wide.resampled, wide.n_units) == ("pairs", 3)
    assert wide.verdict() == "no clear difference: the interval of the AUC difference includes 0"
    narrow = compare_aucs(a, b, labels, resamples=20_000, confidence=0.2)
    assert narrow.interval == Interval(0.5, 0.5)
    assert narrow.verdict(("old", "new")) == "new is better: the interval of the AUC difference excludes 0"
    worse = compare_aucs(b, a, labels, resamples=20_000, confidence=0.2)
    assert worse.interval == Interval(-0.5, -0.5) and worse.difference == -0.5
    assert worse.verdict() == "A is better: the interval of the AUC difference excludes 0"


def test_a_model_and_itself_or_its_distances_on_another_scale_differ_by_exactly_zero():
    """Only how a model ranks the pairs counts: B = A, or B = 3 exp(A) (same order, another scale), gives
    the difference 0 in every resample: 0, the interval [0, 0], B never ahead, p-value 1. Each AUC's
    interval is the one `bootstrap_intervals` gives A alone: the resamples are the same."""
    distances, labels, ids = _pairs_sharing(80, 600, seed=6, sample_effect=0.3)
    alone = bootstrap_intervals(distances, labels, sample_ids=ids, resamples=300)
    for other in (distances, 3 * np.exp(distances)):
        found = compare_aucs(distances, other, labels, sample_ids=ids, resamples=300)
        assert found.difference == 0 and found.interval == Interval(0.0, 0.0)
        assert (found.share_b_better, found.p_value) == (0.0, 1.0)
        assert found.auc_a_interval == found.auc_b_interval == alone.auc
        assert found.verdict() == "no clear difference: the interval of the AUC difference includes 0"
        assert (found.resampled, found.n_units, found.kept) == ("samples", 80, 300)


def test_the_pair_level_weights_follow_the_pairs_not_their_sorted_places():
    """B = -A ranks the pairs the other way round, so in any weighting B's AUC is 1 - A's and the
    difference 1 - 2 x A's: B's interval is A's mirrored, [1 - high, 1 - low], and the difference's
    [1 - 2 high, 1 - 2 low]. That holds only when each pair keeps its pair-level weight in both models
    (those weights set how far each interval is shrunk): weights given by sorted place would differ.
    Every pair has samples of its own here (no sharing), where the shrinking is largest."""
    distances, labels, _ = _pairs_sharing(2, 500, seed=7, sample_effect=0.0)
    own = np.arange(1000).reshape(500, 2)
    found = compare_aucs(distances, -distances, labels, sample_ids=own, resamples=400)
    a = found.auc_a_interval
    assert found.auc_b == pytest.approx(1 - found.auc_a)
    assert (found.auc_b_interval.low, found.auc_b_interval.high) == pytest.approx((1 - a.high, 1 - a.low))
    assert (found.interval.low, found.interval.high) == pytest.approx((1 - 2 * a.high, 1 - 2 * a.low))
    assert found.auc_a_interval == bootstrap_intervals(distances, labels, sample_ids=own, resamples=400).auc


def _two_models(seed: int):
    """2,000 pairs among 300 samples; model A's distances D = label + u_A(left) + u_A(right) + e_A, model
    B's the same with 1.3 x label and its own u_B, e_B. The sample effects u ~ N(0, 0.5) of the two models
    have correlation 1/2 (a sample hard for one is often hard for the other), as have the pair noises e ~
    N(0, 0.5): each model's similar and dissimilar distances are normal with variance 0.75."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, 300, 2000)
    right = (left + rng.integers(1, 300, 2000)) % 300
    labels = rng.integers(0, 2, 2000)
    effects = rng.normal(0, 0.5, (3, 300))
    noises = rng.normal(0, 0.5, (3, 2000))
    half = math.sqrt(0.5)
    u_a, u_b = half * (effects[0] + effects[1]), half * (effects[0] + effects[2])
    e_a, e_b = half * (noises[0] + noises[1]), half * (noises[0] + noises[2])
    distances_a = labels + u_a[left] + u_a[right] + e_a
    distances_b = 1.3 * labels + u_b[left] + u_b[right] + e_b
    return distances_a, distances_b, labels, np.stack([left, right], axis=1)


def test_coverage_of_the_paired_auc_difference():
    """With `_two_models`, the AUCs are Phi(1 / sqrt(1.5)) = 0.7929 and Phi(1.3 / sqrt(1.5)) = 0.8557:
    B - A = 0.0629. Over 200 data sets (seeds 0 to 199) the paired 95% interval covers it 94.5% of the
    time (94.0% over 400 other seeds); resampling pairs covers 88.0% (85.3%): the models' own sample effects
    move the difference too."""
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    true_difference = phi(1.3 / math.sqrt(1.5)) - phi(1 / math.sqrt(1.5))
    covered = 0
    for seed in range(200):
        distances_a, distances_b, labels, ids = _two_models(seed)
        interval = compare_aucs(distances_a, distances_b, labels, sample_ids=ids).interval
        covered += interval.low <= true_difference <= interval.high
    assert 0.92 <= covered / 200 <= 0.98


def test_compare_aucs_is_deterministic_and_says_how_it_was_made():
    distances_a, distances_b, labels, ids = _two_models(0)
    once = compare_aucs(distances_a, distances_b, labels, sample_ids=ids, resamples=200)
    assert once == compare_aucs(distances_a, distances_b, labels, sample_ids=ids, resamples=200)
    assert once != compare_aucs(distances_a, distances_b, labels, sample_ids=ids, resamples=200, seed=1)
    assert once.describe() == (
        "95% intervals from 200 bootstrap resamples of the 300 samples (seed 0); pairs that share a sample are "
        "drawn together, and the spread is corrected so that each pair's own variation counts once; both "
        "models are measured on every resample, so the difference's interval is paired."
    )
    found = once.to_dict()
    assert found["auc_difference"] == once.auc_b - once.auc_a
    assert found["auc_difference_ci"] == [once.interval.low, once.interval.high]
    assert found["auc_a_ci"] == [once.auc_a_interval.low, once.auc_a_interval.high]
    assert (found["ci_resamples"], found["ci_kept"], found["ci_units"]) == (200, 200, 300)
    assert found["verdict"] == once.verdict()


def test_compare_aucs_refuses_distances_of_other_pairs():
    with pytest.raises(DataError, match="same pairs: received 4 distances for model A and 3 for model B"):
        compare_aucs(DISTANCES, DISTANCES[:3], LABELS)
    with pytest.raises(DataError, match="sample_ids must be"):
        compare_aucs(DISTANCES, DISTANCES, LABELS, sample_ids=[[0, 1]])
    with pytest.raises(ConfigError, match="resamples must be a positive integer"):
        compare_aucs(DISTANCES, DISTANCES, LABELS, resamples=0)
    with pytest.raises(DataError, match="finite"):
        compare_aucs(DISTANCES, [0.1, math.nan, 0.2, 0.3], LABELS)
