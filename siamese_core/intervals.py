"""Bootstrap confidence intervals for ROC AUC, the equal error rate and the metrics at a threshold.

Pairs share samples: one sample is usually in several pairs, and a model that places that sample badly
gets all of them wrong together. Resampling pairs treats those pairs as independent and gives intervals
that are too narrow. Here the *samples* are resampled (the vertex bootstrap of network data, Snijders
and Borgatti, Connections 22, 1999; the pigeonhole bootstrap of Owen, Annals of Applied Statistics 1,
2007): each resample draws as many samples as there are, with replacement, and keeps every pair between
drawn samples. A pair of samples a and b, drawn k and j times, is in the resample k * j times (every
copy of a with every copy of b); a pair with a sample not drawn is out. A pair of a sample with itself
weighs k times a count of its own, drawn as for a separate sample (k * k would give it twice its weight
on average). So a resample is the list of pairs with a weight each, and every metric is its weighted
version (`weighted.weighted_metrics`): the AUC the share of weighted (similar, dissimilar) combinations where the
similar pair is closer (ties half), the rates of the ROC curve weighted counts over weighted totals.

That product counts each pair's own variation three times. Write a metric's change in a resample as
sum_i (w_i - 1) psi_i over the pairs i (psi_i: how much pair i moves it). Counts have mean 1 and
variance 1, so Var(k * j) = 3 where a count of the pair alone would have 1, and two pairs with a sample
in common have weights of covariance 1. The samples bootstrap's variance is then C + 3P, with
P = sum_i psi_i^2 (each pair's own part) and C = sum over pairs i != j that share a sample of
psi_i psi_j, while the sampling variance to estimate is C + P (pairs are correlated through shared
samples and otherwise independent). Where pairs share no sample (C = 0) the plain samples bootstrap is
sqrt(3) times too wide; where each sample is in many pairs C dominates and the excess fades (why Owen,
2007, finds the pigeonhole bootstrap conservative).
So each resample also gives every pair a weight of its own, 0 or 2 with chance 1/2 (mean 1 and variance
1, as a count): the metric's variance over those is P. The samples bootstrap's interval is then shrunk
toward the estimate by sqrt(max(V_samples - 2 V_pairs, V_pairs) / V_samples) (`corrected_interval`),
which keeps its shape (a skewed AUC near 1 stays skewed) with the variance C + P; never wider than it was,
never narrower than resampling pairs alone.

Coverage, measured (`tests/test_intervals.py`, 200 repetitions each): 97.0% for distances drawn from
two known distributions, 93.5% with sample effects that move all of a sample's pairs (resampling pairs
alone: 90.0%). A known weak spot: few samples each in very many pairs (150 samples in 40 pairs each)
cover only 88% to 91%: the AUC measured on pairs that share samples leans high, and so few samples give
the bootstrap too little to draw on.

When only distances and labels are known (which pairs share a sample is not), each pair is its own unit
and the pairs are resampled (percentile interval, no correction); `MetricIntervals.describe` then says
the intervals may be too narrow.

The interval is the percentile interval (Efron and Tibshirani, "An Introduction to the Bootstrap",
1993, ch. 13): the (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of the metric over the
resamples, 1,000 by default, shrunk as above. A resample without a similar or without a dissimilar pair
has no AUC or equal error rate, and one without any pair no metrics at all: those are left out
(`MetricIntervals.kept_ranking` and `kept_threshold` say how many were used).

Vectorised: a block of resamples is a matrix of counts (resamples x samples); the weights of a class's
pairs are two column gathers (`numpy.take`) and a product, measured all at once by `siamese_core.weighted`
(the pairs sorted by distance once, running sums of the weights along them). Weights are whole numbers
kept as int32 (int64 when a block's counts could overflow it). The pair-level weights are random bits, 8
to a byte. A block holds at most `BLOCK_VALUES` resample x pair values (a few int32 arrays of 16 MiB at
most), so memory stays bounded.

Deterministic: the counts come from `numpy.random.default_rng(seed)`, block by block in one order, so the
same pairs and seed give the same intervals, and every metric of one `PairBootstrap` is measured on the
same resamples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import check_distances, check_threshold
from siamese_core.splits import sample_fractions
from siamese_core.weighted import SortedPairs, measure, threshold_rates

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0
# Resample x pair values per block: a few int32 arrays of this size at most (16 MiB each).
BLOCK_VALUES = 2**22
# More resamples per block stop paying: the gathered rows outgrow the caches.
MAX_BLOCK = 64
# Thresholds whose metrics `PairBootstrap.at_threshold` keeps (a slider visits a few).
_KEPT_THRESHOLDS = 32

SAMPLES = "samples"
PAIRS = "pairs"


@dataclass(frozen=True)
class Interval:
    """A confidence interval; NaN ends when no resample measured the metric.

    Attributes:
        low: The lower end.
        high: The upper end.
    """

    low: float
    high: float

    def as_list(self) -> list[float | None]:
        """[low, high] as plain floats, None for an end that is NaN (JSON has no NaN)."""
        return [None if math.isnan(end) else float(end) for end in (self.low, self.high)]


_NO_INTERVAL = Interval(math.nan, math.nan)


def describe_resampling(confidence: float, resamples: int, n_units: int, resampled: str, seed: int) -> str:
    """The start of a `describe`: the level, the resamples, what was resampled and what that means."""
    text = (
        f"{confidence:.0%} intervals from {resamples:,} bootstrap resamples of the {n_units:,} {resampled} "
        f"(seed {seed})"
    )
    if resampled == SAMPLES:
        return text + (
            "; pairs that share a sample are drawn together, and the spread is corrected so that each "
            "pair's own variation counts once"
        )
    return text + (
        "; which pairs share a sample is not known, so pairs were drawn alone and the intervals may be too "
        "narrow"
    )


@dataclass
class MetricIntervals:
    """Bootstrap intervals of an evaluation's metrics.

    Attributes:
        auc: ROC AUC (similar positive, score = -distance).
        eer: Equal error rate.
        threshold: The threshold the next three are at; None when they were not asked for.
        accuracy: Accuracy at `threshold`.
        precision: Precision at `threshold` (0 in a resample that calls no pair similar).
        recall: Recall at `threshold` (0 in a resample without similar pairs).
        resampled: "samples" (pairs weighted by their samples' counts) or "pairs" (sample identity unknown).
        n_units: How many samples (or pairs) each resample draws.
        resamples: Bootstrap resamples drawn.
        confidence: The intervals' level, such as 0.95.
        seed: The seed the counts were drawn with.
        kept_ranking: Resamples with similar and dissimilar pairs, the ones AUC and EER are measured on.
        kept_threshold: Resamples with any pair, the ones the metrics at the threshold are measured on.
    """

    auc: Interval
    eer: Interval
    threshold: float | None = None
    accuracy: Interval | None = None
    precision: Interval | None = None
    recall: Interval | None = None
    resampled: str = SAMPLES
    n_units: int = 0
    resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED
    kept_ranking: int = 0
    kept_threshold: int = 0

    def describe(self) -> str:
        """How the intervals were made, in one sentence a user can check."""
        text = describe_resampling(self.confidence, self.resamples, self.n_units, self.resampled, self.seed)
        if self.kept_ranking < self.resamples:
            text += (
                f"; {self.resamples - self.kept_ranking:,} resamples without a similar or without a dissimilar "
                "pair were left out of the AUC and equal error rate"
            )
        if self.threshold is not None and self.kept_threshold < self.resamples:
            text += (
                f"; {self.resamples - self.kept_threshold:,} of them held no pair at all and were left out of "
                "the metrics at the threshold too"
            )
        return text + "."

    def to_dict(self) -> dict:
        """JSON-ready: "auc_ci", "eer_ci" and, with a threshold, "accuracy_ci", "precision_ci" and
        "recall_ci" as [low, high]; then how they were made ("ci_confidence", "ci_resamples",
        "ci_resampled", "ci_units", "ci_seed")."""
        found = {"auc_ci": self.auc.as_list(), "eer_ci": self.eer.as_list()}
        for name in ("accuracy", "precision", "recall"):
            interval = getattr(self, name)
            if interval is not None:
                found[f"{name}_ci"] = interval.as_list()
        return {
            **found,
            "ci_confidence": float(self.confidence),
            "ci_resamples": int(self.resamples),
            "ci_resampled": self.resampled,
            "ci_units": int(self.n_units),
            "ci_seed": int(self.seed),
        }


def pair_sample_ids(left, right) -> np.ndarray:
    """Which sample each side of each pair is: equal feature vectors are the same sample.

    Vectors are compared by a stable 64-bit hash of their float32 values (`splits.sample_fractions`, the
    hash the leakage-aware splits use), of which 53 bits are kept: two different vectors among a million
    share a number with a chance of about 1 in 20,000, and would then be counted as one sample.

    Args:
        left: (n, d) first samples of the pairs.
        right: (n, d) second samples.

    Returns:
        (n, 2) int64 sample numbers, 0 to (distinct samples - 1).

    Raises:
        DataError: The two sides have different shapes.
    """
    left, right = np.asarray(left), np.asarray(right)
    if left.ndim != 2 or left.shape != right.shape:
        raise DataError(
            "the two sides of the pairs must be (pairs, features) arrays of one shape; received "
            f"{left.shape} and {right.shape}"
        )
    hashes = np.concatenate([sample_fractions(left), sample_fractions(right)])
    _, ids = np.unique(hashes, return_inverse=True)
    return ids.reshape(2, -1).T.astype(np.int64)


def corrected_interval(
    estimate: float, sample_replicates, pair_replicates, *, confidence: float = DEFAULT_CONFIDENCE
) -> Interval:
    """The samples bootstrap's percentile interval, shrunk toward the estimate to the variance C + P.

    With V_s the variance of the samples bootstrap's replicates (C + 3P, see the module's docstring) and
    V_p that of the pair-level replicates (P), the interval's ends q are moved to
    estimate + f * (q - estimate) with f = sqrt(max(V_s - 2 V_p, V_p) / V_s), at most 1. Replicates that
    are NaN (resamples that could not measure the metric) are left out.

    Args:
        estimate: The metric on the pairs as they are.
        sample_replicates: The metric in each samples-bootstrap resample.
        pair_replicates: The metric in each resample with pair-level weights.
        confidence: The interval's level.

    Returns:
        The interval; NaN ends when no samples-bootstrap resample measured the metric.
    """
    samples = _finite(sample_replicates)
    if samples.size == 0:
        return _NO_INTERVAL
    low, high = np.quantile(samples, [(1 - confidence) / 2, (1 + confidence) / 2])
    factor = _shrink_factor(samples, _finite(pair_replicates))
    return Interval(float(estimate + factor * (low - estimate)), float(estimate + factor * (high - estimate)))


def _finite(replicates) -> np.ndarray:
    values = np.asarray(replicates, dtype=np.float64)
    return values[np.isfinite(values)]


def _shrink_factor(samples: np.ndarray, pairs: np.ndarray) -> float:
    """sqrt(max(V_s - 2 V_p, V_p) / V_s), at most 1 (1 where V_s is 0), of finite replicates."""
    sample_variance = float(samples.var(ddof=1)) if samples.size > 1 else 0.0
    pair_variance = float(pairs.var(ddof=1)) if pairs.size > 1 else 0.0
    if sample_variance <= 0:
        return 1.0
    wanted = max(sample_variance - 2 * pair_variance, pair_variance)
    return min(1.0, math.sqrt(wanted / sample_variance))


def _percentile(values: np.ndarray, confidence: float) -> Interval:
    kept = values[np.isfinite(values)]
    if kept.size == 0:
        return _NO_INTERVAL
    low, high = np.quantile(kept, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Interval(float(low), float(high))


class _Replicates:
    """The metrics of every resample of one kind of weights, and each class's total weight."""

    def __init__(self, resamples: int):
        self.ranking = np.full((2, resamples), np.nan)  # AUC, EER
        self.totals = np.zeros((2, resamples))  # similar, dissimilar
        self.at: dict[float, np.ndarray] = {}  # threshold -> (3, resamples) accuracy, precision, recall

    def keep(self, done: slice, similar: np.ndarray, dissimilar: np.ndarray, pairs, thresholds) -> None:
        """Measure a block's rows of weights (resamples x similar, and x dissimilar pairs, sorted)."""
        self.totals[0, done] = similar.sum(axis=1, dtype=np.float64)
        self.totals[1, done] = dissimilar.sum(axis=1, dtype=np.float64)
        auc, eer, at = measure(pairs, similar, dissimilar, thresholds)
        self.ranking[:, done] = auc, eer
        for threshold, values in zip(thresholds, at, strict=True):
            self.at.setdefault(threshold, np.full((3, self.ranking.shape[1]), np.nan))[:, done] = values


def check_bootstrap_settings(resamples, confidence) -> tuple[int, float]:
    """`resamples` and `confidence` as an int and a float, or a `ConfigError` saying what was received."""
    if isinstance(resamples, bool) or not isinstance(resamples, (int, np.integer)) or resamples < 1:
        raise ConfigError(f"resamples must be a positive integer. Received: resamples={resamples!r}")
    confidence = check_threshold(confidence, name="confidence")
    if not 0 < confidence < 1:
        raise ConfigError(
            f"confidence must be between 0 and 1, such as 0.95. Received: confidence={confidence:g}"
        )
    return int(resamples), confidence


def _pair_bits(generator, rows: int, columns: int) -> np.ndarray:
    """(rows, columns) int32 weights of 0 or 2, each with chance 1/2."""
    size = rows * columns
    bits = np.unpackbits(np.frombuffer(generator.bytes((size + 7) // 8), dtype=np.uint8), count=size)
    weights = bits.reshape(rows, columns).astype(np.int32)
    weights *= 2
    return weights


def product_weights(counts: np.ndarray, units: np.ndarray, columns=slice(None)) -> np.ndarray:
    """(resamples, pairs) weights: the product of the counts of each pair's units ((sides, pairs))."""
    weights = np.take(counts, units[0, columns], axis=1)
    for other in units[1:]:
        weights *= np.take(counts, other[columns], axis=1)
    return weights


class Resampler:
    """What every resample draws for one set of pairs: how often each unit is drawn, and each pair's own
    weight (samples bootstrap only).

    The pair-level weights are tied to the pairs, not to where a model's distances sort them: they are
    drawn for the pairs in the order of `order` (its similar pairs, then its dissimilar ones), and
    `own_weights` puts them in another sorting's order. So every measurement on the same pairs, sample
    ids and seed (one model's metrics, or two models' in `comparison.compare_aucs`) reads the same resamples.

    Args:
        n_pairs: How many pairs.
        sample_ids: (n_pairs, 2) the sample of each pair's two sides, or None to resample the pairs.
        resamples: How many resamples.
        seed: Seed of the draws.
        order: The sorting whose order the pair-level weights are drawn in.

    Raises:
        DataError: Sample ids of another shape.
    """

    def __init__(self, n_pairs: int, sample_ids, *, resamples: int, seed: int, order: SortedPairs):
        if sample_ids is None:
            self.resampled = PAIRS
            self.n_units = n_pairs
            units = np.arange(n_pairs)[:, None]
        else:
            sample_ids = np.asarray(sample_ids)
            if sample_ids.shape != (n_pairs, 2):
                raise DataError(
                    f"sample_ids must be (pairs, 2), one sample per side; received {sample_ids.shape} for "
                    f"{n_pairs} pairs"
                )
            _, units = np.unique(sample_ids.reshape(-1), return_inverse=True)
            units = units.reshape(n_pairs, 2)
            n_samples = int(units.max()) + 1
            itself = np.flatnonzero(units[:, 0] == units[:, 1])
            units[itself, 1] = n_samples + np.arange(itself.size)  # its second side drawn on its own
            self.resampled = SAMPLES
            self.n_units = n_samples
        self.resamples = resamples
        self.seed = seed
        self._units = units  # (pairs, sides), in the input order
        self._draws = int(units.max()) + 1
        self._n_pairs = n_pairs
        self._block = int(np.clip(BLOCK_VALUES // max(n_pairs, 1), 1, MAX_BLOCK))
        self._order = (order.similar, order.dissimilar)

    def units(self, pairs: SortedPairs) -> tuple[np.ndarray, np.ndarray]:
        """(sides, pairs) units of the similar pairs of `pairs`, in its order, and of its dissimilar ones."""
        return self._units[pairs.similar].T.copy(), self._units[pairs.dissimilar].T.copy()

    def own_weights(self, pairs: SortedPairs, pair_weights: tuple[np.ndarray, np.ndarray]):
        """The pair-level weights of a block (as `blocks` yields them) in the order of `pairs`."""
        placed = []
        for weights, drawn, wanted in zip(
            pair_weights, self._order, (pairs.similar, pairs.dissimilar), strict=True
        ):
            if np.array_equal(drawn, wanted):
                placed.append(weights)
                continue
            position = np.empty(self._n_pairs, dtype=np.intp)
            position[drawn] = np.arange(drawn.size)
            placed.append(np.take(weights, position[wanted], axis=1))
        return tuple(placed)

    def blocks(self):
        """(rows, counts, pair weights) per block of resamples, from one generator in one order.

        Counts: (resamples in the block, units), how often each unit is drawn: `_draws` units drawn
        uniformly with replacement (multinomial counts), as integers counted with one `bincount`.
        Pair weights (samples bootstrap only, else None): (resamples, similar pairs) and (resamples,
        dissimilar pairs) arrays of 0 or 2, from random bits, in the order of `order`.
        """
        generator = np.random.default_rng(self.seed)
        n = self._draws
        for start in range(0, self.resamples, self._block):
            width = min(self._block, self.resamples - start)
            draws = generator.integers(0, n, size=(width, n), dtype=np.int32).astype(np.intp)
            draws += (np.arange(width) * n)[:, None]
            counts = np.bincount(draws.reshape(-1), minlength=width * n).reshape(width, n)
            # int32 unless the running sums of a block (at most a largest weight x all pairs), doubled
            # where ties count half, could pass 2**31.
            largest = int(counts.max()) ** self._units.shape[1]
            dtype = np.int32 if largest * self._n_pairs < 2**30 else np.int64
            pair_weights = None
            if self.resampled == SAMPLES:
                pair_weights = tuple(_pair_bits(generator, width, order.size) for order in self._order)
            yield slice(start, start + width), counts.astype(dtype), pair_weights


def replicate_interval(
    resampled: str, estimate: float, replicates: list[np.ndarray], confidence: float
) -> Interval:
    """The interval of one metric from its replicates of each kind (see `corrected_interval`)."""
    if resampled == PAIRS:
        return _percentile(replicates[0], confidence)
    return corrected_interval(estimate, replicates[0], replicates[1], confidence=confidence)


def replicate_distribution(resampled: str, estimate: float, replicates: list[np.ndarray]) -> np.ndarray:
    """A metric's finite replicates as its interval reads them: shrunk toward the estimate by
    `corrected_interval`'s factor when samples were resampled, as they are when pairs were.

    Args:
        resampled: `SAMPLES` or `PAIRS`.
        estimate: The metric on the pairs as they are.
        replicates: Its values in each resample: the samples bootstrap's, then (samples) the pair-level ones.
    """
    values = _finite(replicates[0])
    if resampled == PAIRS:
        return values
    return estimate + _shrink_factor(values, _finite(replicates[1])) * (values - estimate)


class PairBootstrap:
    """Bootstrap resamples of one set of pairs, measured when first asked for and kept.

    `ranking()` (AUC, EER) is measured once; `at_threshold(t)` once per threshold, reading only the
    pairs on the short side of t with the class totals kept from `ranking()`; `intervals(t)` measures
    all in one pass when nothing is kept yet. Every metric is measured on the same resamples.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 similar, 1 dissimilar; both present.
        sample_ids: (n, 2) the sample of each pair's two sides (any values; equal means the same sample),
            such as `pair_sample_ids(left, right)`; None resamples the pairs themselves.
        resamples: How many bootstrap resamples.
        confidence: The level of the intervals, in (0, 1).
        seed: Seed of the resampling.

    Raises:
        DataError: Bad distances or labels, or sample ids of another shape.
        ConfigError: resamples not a positive integer, confidence not in (0, 1).
    """

    def __init__(
        self,
        distances,
        labels,
        *,
        sample_ids=None,
        resamples: int = DEFAULT_RESAMPLES,
        confidence: float = DEFAULT_CONFIDENCE,
        seed: int = DEFAULT_SEED,
    ):
        distances, similar_mask = check_distances(distances, labels)
        self.resamples, self.confidence = check_bootstrap_settings(resamples, confidence)
        self.seed = int(seed)
        self._pairs = SortedPairs(distances, similar_mask)
        self._resampler = Resampler(
            distances.size, sample_ids, resamples=self.resamples, seed=self.seed, order=self._pairs
        )
        self.resampled = self._resampler.resampled
        self.n_units = self._resampler.n_units
        self._similar_units, self._dissimilar_units = self._resampler.units(self._pairs)
        self._estimate = _Replicates(1)
        self._kinds: list[_Replicates] | None = None  # the resamples, then pair-level weights (samples)

    def _measure_all(self, thresholds: tuple[float, ...]) -> None:
        """One pass over all resamples: the ranking metrics and those at `thresholds`, of every kind."""
        self._estimate.keep(slice(0, 1), *self._pairs.ones(), self._pairs, thresholds)
        kinds = [_Replicates(self.resamples) for _ in range(2 if self.resampled == SAMPLES else 1)]
        for done, counts, pair_weights in self._resampler.blocks():
            similar = product_weights(counts, self._similar_units)
            dissimilar = product_weights(counts, self._dissimilar_units)
            kinds[0].keep(done, similar, dissimilar, self._pairs, thresholds)
            if pair_weights is not None:
                kinds[1].keep(done, *pair_weights, self._pairs, thresholds)
        self._kinds = kinds

    def _measure_threshold(self, threshold: float) -> None:
        """The metrics at one more threshold, from the class totals kept and the weights of the pairs on
        the shorter side of the threshold only (the pairs called similar, or those not)."""
        self._estimate.keep(slice(0, 1), *self._pairs.ones(), self._pairs, (threshold,))
        sides = tuple(
            (units, n_called, n_called <= units.shape[1] - n_called)
            for units, n_called in zip(
                (self._similar_units, self._dissimilar_units), self._pairs.called(threshold), strict=True
            )
        )
        called = [np.zeros_like(kind.totals) for kind in self._kinds]  # (tp, fp) of each kind
        for done, counts, pair_weights in self._resampler.blocks():
            for side, (units, n_called, direct) in enumerate(sides):
                columns = slice(0, n_called) if direct else slice(n_called, None)
                weightings = [product_weights(counts, units, columns)]
                if pair_weights is not None:
                    weightings.append(pair_weights[side][:, columns])
                for kind, kind_called, weights in zip(self._kinds, called, weightings, strict=True):
                    found = weights.sum(axis=1, dtype=np.float64)
                    kind_called[side, done] = found if direct else kind.totals[side, done] - found
        for kind, (tp, fp) in zip(self._kinds, called, strict=True):
            kind.at[threshold] = np.array(threshold_rates(tp, fp, kind.totals[0], kind.totals[1]))
        if len(self._kinds[0].at) > _KEPT_THRESHOLDS:
            oldest = next(iter(self._kinds[0].at))
            for kind in (*self._kinds, self._estimate):
                kind.at.pop(oldest, None)

    def _interval(self, estimate: float, replicates: list[np.ndarray]) -> Interval:
        return replicate_interval(self.resampled, estimate, replicates, self.confidence)

    def ranking(self) -> tuple[Interval, Interval]:
        """Intervals of the ROC AUC and the equal error rate."""
        if self._kinds is None:
            self._measure_all(())
        return tuple(
            self._interval(float(self._estimate.ranking[row, 0]), [kind.ranking[row] for kind in self._kinds])
            for row in (0, 1)
        )

    def at_threshold(self, threshold) -> tuple[Interval, Interval, Interval]:
        """Intervals of accuracy, precision and recall at `threshold` (D <= threshold is similar).

        Raises:
            ConfigError: A threshold that is not a finite number.
        """
        threshold = check_threshold(threshold)
        if self._kinds is None:
            self._measure_all((threshold,))
        elif threshold not in self._kinds[0].at:
            self._measure_threshold(threshold)
        estimate = self._estimate.at[threshold][:, 0]
        return tuple(
            self._interval(float(estimate[row]), [kind.at[threshold][row] for kind in self._kinds])
            for row in range(3)
        )

    def intervals(self, threshold=None) -> MetricIntervals:
        """All intervals: AUC and EER, and the metrics at `threshold` unless it is None.

        Raises:
            ConfigError: A threshold that is not a finite number.
        """
        at = None if threshold is None else self.at_threshold(threshold)  # first: one pass for all
        auc, eer = self.ranking()
        found = MetricIntervals(
            auc=auc,
            eer=eer,
            resampled=self.resampled,
            n_units=self.n_units,
            resamples=self.resamples,
            confidence=self.confidence,
            seed=self.seed,
            kept_ranking=int(np.isfinite(self._kinds[0].ranking[0]).sum()),
        )
        if at is not None:
            found.threshold = check_threshold(threshold)
            found.accuracy, found.precision, found.recall = at
            found.kept_threshold = int(np.isfinite(self._kinds[0].at[found.threshold][0]).sum())
        return found


def bootstrap_intervals(
    distances,
    labels,
    *,
    sample_ids=None,
    threshold=None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> MetricIntervals:
    """Bootstrap intervals of ROC AUC, the equal error rate and, at a threshold, accuracy, precision and
    recall, resampling the samples when `sample_ids` says which they are (see the module's docstring).

    Args:
        distances: (n,) distances.
        labels: (n,) 0 similar, 1 dissimilar; both present.
        sample_ids: (n, 2) the sample of each pair's two sides, such as `pair_sample_ids(left, right)`;
            None resamples the pairs (intervals then too narrow where pairs share samples).
        threshold: Also give accuracy, precision and recall at this threshold.
        resamples: Bootstrap resamples (1,000 by default).
        confidence: The intervals' level (0.95 by default).
        seed: Seed of the resampling (0 by default): the same inputs and seed give the same intervals.

    Returns:
        `MetricIntervals`.

    Raises:
        DataError: Bad distances or labels, or sample ids of another shape.
        ConfigError: Bad resamples, confidence or threshold.
    """
    bootstrap = PairBootstrap(
        distances, labels, sample_ids=sample_ids, resamples=resamples, confidence=confidence, seed=seed
    )
    return bootstrap.intervals(threshold)
