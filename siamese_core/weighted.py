"""Metrics of weighted pairs, vectorised: what every bootstrap resample of `siamese_core.intervals` measures.

A pair of weight w counts as w pairs. Each row of a weights matrix is one weighting (one resample), and
every metric is its weighted version: the AUC the share of weighted (similar, dissimilar) combinations
where the similar pair is closer (ties half), the rates of the ROC curve weighted counts over weighted
totals.

The pairs are sorted by distance once and split by class (`SortedPairs`). Running sums of a class's
weights along the sorted pairs (one `cumsum` per class) give, for every threshold at once, the weighted
pairs called similar. The AUC is the sum over dissimilar pairs of weight x the running similar weight
below them; the equal error rate is found by bisection over the distinct distances (where the
false-match rate first reaches the false-non-match rate), about 17 steps of a few values per row at
100,000 pairs; the metrics at a threshold read the running sums at one column. Whole-number weights stay
integers: NumPy sums integers along a row with SIMD, faster than floats, and exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamese_core.errors import DataError
from siamese_core.evaluation import check_distances, check_threshold


@dataclass
class WeightedMetrics:
    """Metrics of weighted pairs, one value per row of weights (NaN where a row cannot measure it).

    Attributes:
        auc: (r,) weighted ROC AUC; NaN without similar or dissimilar weight.
        eer: (r,) weighted equal error rate; NaN as the AUC.
        accuracy: (r,) at the threshold; None without a threshold; NaN for a row of zero weight.
        precision: (r,) as `accuracy`; 0 where no weight is called similar.
        recall: (r,) as `accuracy`; 0 without similar weight.
    """

    auc: np.ndarray
    eer: np.ndarray
    accuracy: np.ndarray | None = None
    precision: np.ndarray | None = None
    recall: np.ndarray | None = None


class SortedPairs:
    """The pairs sorted by distance and split by class: what every resample's metrics are read from.

    Attributes:
        similar: Indexes of the similar pairs, by increasing distance (stable).
        dissimilar: Indexes of the dissimilar pairs, likewise.
        below: (n_dissimilar,) similar pairs strictly closer than each dissimilar pair.
        at_most: (n_dissimilar,) similar pairs at most as far; None when no distance is shared across the
            classes (then it equals `below`).
        similar_upto: (G + 1,) similar pairs at most each distinct distance, 0 first (nothing called).
        dissimilar_upto: (G + 1,) the same for dissimilar pairs.
    """

    def __init__(self, distances: np.ndarray, similar_mask: np.ndarray):
        order = np.argsort(distances, kind="stable")
        self.similar = order[similar_mask[order]]
        self.dissimilar = order[~similar_mask[order]]
        self.similar_distances = distances[self.similar]
        self.dissimilar_distances = distances[self.dissimilar]
        self.below = np.searchsorted(self.similar_distances, self.dissimilar_distances, side="left")
        at_most = np.searchsorted(self.similar_distances, self.dissimilar_distances, side="right")
        self.at_most = None if np.array_equal(at_most, self.below) else at_most
        distinct = np.unique(distances)
        self.similar_upto = np.concatenate(
            ([0], np.searchsorted(self.similar_distances, distinct, side="right"))
        )
        self.dissimilar_upto = np.concatenate(
            ([0], np.searchsorted(self.dissimilar_distances, distinct, side="right"))
        )

    def ones(self) -> tuple[np.ndarray, np.ndarray]:
        """A row of weights 1 for the similar pairs and one for the dissimilar pairs: the pairs as they are."""
        return tuple(
            np.ones((1, indexes.size), dtype=np.int32) for indexes in (self.similar, self.dissimilar)
        )

    def called(self, threshold: float) -> tuple[int, int]:
        """(similar, dissimilar) pairs with distance <= threshold."""
        return (
            int(np.searchsorted(self.similar_distances, threshold, side="right")),
            int(np.searchsorted(self.dissimilar_distances, threshold, side="right")),
        )


def _running(weights: np.ndarray) -> np.ndarray:
    """(r, m + 1) running sums along the rows of (r, m) weights, a column of zeros first.

    Whole-number weights stay integers: NumPy sums integers along a contiguous row with SIMD, several times
    faster than floats, and exactly.
    """
    sums = np.zeros((weights.shape[0], weights.shape[1] + 1), dtype=weights.dtype)
    np.cumsum(weights, axis=1, out=sums[:, 1:])
    return sums


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(r,) row-wise dot products, in int64 for integers (exact), float64 otherwise."""
    exact = np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)
    return np.einsum("ij,ij->i", a, b, dtype=np.int64 if exact else np.float64).astype(np.float64)


def _auc(pairs: SortedPairs, similar_sums: np.ndarray, dissimilar_weights: np.ndarray) -> np.ndarray:
    """(r,) weighted AUC numerators: each dissimilar pair's weight times the similar weight closer than it,
    plus half the similar weight at its very distance."""
    closer = np.take(similar_sums, pairs.below, axis=1)
    if pairs.at_most is None:
        return _dot(closer, dissimilar_weights)
    closer += np.take(similar_sums, pairs.at_most, axis=1)  # twice the closer, plus the tied once
    return _dot(closer, dissimilar_weights) / 2


def _eer(pairs: SortedPairs, similar_sums: np.ndarray, dissimilar_sums: np.ndarray) -> np.ndarray:
    """(r,) weighted equal error rates, interpolated as `evaluation.equal_error_rate` interpolates them.

    Along the distinct distances g = 0 (nothing called similar) to G (everything), gap(g) = FPR + TPR - 1
    (the false-match rate minus the false-non-match rate) only grows, from -1 to 1; bisection finds the
    first g with gap >= 0 for every row at once. Between g - 1 and g the rates are interpolated linearly
    to where the gap is 0.
    """
    rows = np.arange(similar_sums.shape[0])
    similar_total = similar_sums[:, -1].astype(np.float64)
    dissimilar_total = dissimilar_sums[:, -1].astype(np.float64)

    def rates(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tpr = similar_sums[rows, pairs.similar_upto[g]] / similar_total
        fpr = dissimilar_sums[rows, pairs.dissimilar_upto[g]] / dissimilar_total
        return fpr, fpr + tpr - 1.0

    low = np.zeros(rows.size, dtype=np.int64)  # gap < 0 here (the empty cut: gap = -1)
    high = np.full(rows.size, pairs.similar_upto.size - 1, dtype=np.int64)  # gap >= 0 (= 1)
    while (high - low > 1).any():
        middle = (low + high) // 2
        _, gap = rates(middle)
        reached = gap >= 0
        high = np.where(reached, middle, high)
        low = np.where(reached, low, middle)
    fpr_before, gap_before = rates(low)
    fpr_after, gap_after = rates(high)
    share = -gap_before / (gap_after - gap_before)
    return fpr_before + share * (fpr_after - fpr_before)


def measure(
    pairs: SortedPairs,
    similar_weights: np.ndarray,
    dissimilar_weights: np.ndarray,
    thresholds: tuple[float, ...],
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, ...]]]:
    """AUC, EER and (accuracy, precision, recall) at each threshold for r rows of weights.

    Args:
        pairs: The sorted pairs.
        similar_weights: (r, n_similar) weights of the similar pairs in `pairs.similar` order.
        dissimilar_weights: (r, n_dissimilar) likewise.
        thresholds: Thresholds to measure at.

    Returns:
        (auc, eer, [(accuracy, precision, recall) per threshold]), each (r,), NaN where undefined.
    """
    similar_sums = _running(similar_weights)
    dissimilar_sums = _running(dissimilar_weights)
    similar_total = similar_sums[:, -1].astype(np.float64)
    dissimilar_total = dissimilar_sums[:, -1].astype(np.float64)
    auc = _ratio_auc(pairs, similar_sums, dissimilar_weights, dissimilar_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        eer = np.where(np.isfinite(auc), _eer(pairs, similar_sums, dissimilar_sums), np.nan)
    at_thresholds = []
    for threshold in thresholds:
        n_similar, n_dissimilar = pairs.called(threshold)
        tp = similar_sums[:, n_similar].astype(np.float64)
        fp = dissimilar_sums[:, n_dissimilar].astype(np.float64)
        at_thresholds.append(threshold_rates(tp, fp, similar_total, dissimilar_total))
    return auc, eer, at_thresholds


def _ratio_auc(
    pairs: SortedPairs,
    similar_sums: np.ndarray,
    dissimilar_weights: np.ndarray,
    dissimilar_total: np.ndarray,
) -> np.ndarray:
    """(r,) weighted AUC: the numerator (`_auc`) over similar x dissimilar weight; NaN where either is 0."""
    similar_total = similar_sums[:, -1].astype(np.float64)
    numerator = _auc(pairs, similar_sums, dissimilar_weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            (similar_total > 0) & (dissimilar_total > 0),
            numerator / (similar_total * dissimilar_total),
            np.nan,
        )


def weighted_auc(
    pairs: SortedPairs, similar_weights: np.ndarray, dissimilar_weights: np.ndarray
) -> np.ndarray:
    """(r,) weighted AUC of r rows of weights (in `pairs`' orders), without the rest of `measure`."""
    return _ratio_auc(
        pairs, _running(similar_weights), dissimilar_weights, dissimilar_weights.sum(axis=1, dtype=np.float64)
    )


def threshold_rates(tp, fp, similar_total, dissimilar_total) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy, precision and recall from weighted counts, by `metrics_at_threshold`'s rules."""
    total = similar_total + dissimilar_total
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.where(total > 0, (tp + dissimilar_total - fp) / total, np.nan)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(similar_total > 0, tp / similar_total, 0.0)
    precision = np.where(total > 0, precision, np.nan)
    recall = np.where(total > 0, recall, np.nan)
    return accuracy, precision, recall


def weighted_metrics(distances, labels, weights, *, threshold=None) -> WeightedMetrics:
    """AUC, equal error rate and, at a threshold, accuracy, precision and recall of weighted pairs.

    A pair of weight w counts as w pairs: with whole weights, the result is that of the list where each
    pair is repeated w times (weight 0 leaves it out). This is what each bootstrap resample computes;
    each row of `weights` is measured on its own.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 similar, 1 dissimilar; both present.
        weights: (n,) or (r, n) non-negative weights, one row per weighting.
        threshold: Measure accuracy, precision and recall at this threshold (D <= threshold is similar).

    Returns:
        `WeightedMetrics`, each (r,) (r = 1 for a single row of weights).

    Raises:
        DataError: Bad distances or labels (see `evaluation.check_distances`), or weights of another
            length, negative or not finite.
        ConfigError: A threshold that is not a finite number.
    """
    distances, similar_mask = check_distances(distances, labels)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if weights.ndim != 2 or weights.shape[1] != distances.size:
        raise DataError(
            f"weights must have one value per pair; received {weights.shape} for {distances.size} pairs"
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise DataError("weights must be finite and >= 0")
    thresholds = () if threshold is None else (check_threshold(threshold),)
    pairs = SortedPairs(distances, similar_mask)
    # float64 here: weights given by a caller need not be whole numbers.
    similar = np.ascontiguousarray(weights[:, pairs.similar])
    dissimilar = np.ascontiguousarray(weights[:, pairs.dissimilar])
    auc, eer, at = measure(pairs, similar, dissimilar, thresholds)
    if threshold is None:
        return WeightedMetrics(auc, eer)
    return WeightedMetrics(auc, eer, *at[0])
