"""How well distances separate similar from dissimilar pairs.

A Siamese model gives one Euclidean distance D per pair; labels follow the contrastive-loss convention
(Y = 0 similar, Y = 1 dissimilar, see `siamese_core.pairs`). A pair is predicted similar when
D <= threshold, so "similar" is the positive class throughout: a true positive is a similar pair
predicted similar, a false positive a dissimilar pair predicted similar.

Everything here takes plain arrays and returns plain values or small dataclasses, so the CLI, the
dashboard and the HTML report share one set of numbers. Thresholds chosen by an error budget (a
false-match rate, a precision) are in `siamese_core.error_budget`; bootstrap intervals in
`siamese_core.intervals`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siamese_core.calibration import Calibration, CalibrationMetrics, calibration_metrics
from siamese_core.errors import ConfigError, DataError
from siamese_core.pairs import DISSIMILAR, SIMILAR

if TYPE_CHECKING:
    from siamese_core.intervals import MetricIntervals

SIMILAR_FAR = "similar, far apart"
DISSIMILAR_CLOSE = "dissimilar, close"
# The false-match rates at which `EvalResult.tar_at_far` reports the true acceptance rate: 1% and 0.1%, as
# face- and speaker-verification results are usually quoted.
COMMON_FARS = (0.01, 0.001)


@dataclass
class ThresholdMetrics:
    """Classification metrics of "D <= threshold means similar", with similar as the positive class.

    Precision is 0 when no pair is predicted similar, and recall and F1 follow the same
    zero-division-is-0 rule (as `sklearn.metrics` with `zero_division=0`).

    Attributes:
        threshold: The distance threshold; pairs with D <= threshold are predicted similar.
        accuracy: Share of pairs predicted right.
        precision: Of the pairs predicted similar, the share that are similar.
        recall: Of the similar pairs, the share predicted similar.
        f1: Harmonic mean of precision and recall.
        tp: Similar pairs predicted similar.
        fp: Dissimilar pairs predicted similar.
        tn: Dissimilar pairs predicted dissimilar.
        fn: Similar pairs predicted dissimilar.
    """

    threshold: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    tn: int
    fn: int

    def confusion_matrix(self) -> np.ndarray:
        """The 2x2 counts: rows actual (similar, dissimilar), columns predicted (similar, dissimilar)."""
        return np.array([[self.tp, self.fn], [self.fp, self.tn]], dtype=np.int64)

    def as_dict(self) -> dict:
        """The metrics as plain Python floats and ints."""
        return {
            "threshold": float(self.threshold),
            "accuracy": float(self.accuracy),
            "precision": float(self.precision),
            "recall": float(self.recall),
            "f1": float(self.f1),
            "tp": int(self.tp),
            "fp": int(self.fp),
            "tn": int(self.tn),
            "fn": int(self.fn),
        }


@dataclass
class EvalResult:
    """Everything an evaluation of distances against labels found.

    Attributes:
        n_pairs: Pairs evaluated.
        n_similar: Similar pairs (Y = 0).
        n_dissimilar: Dissimilar pairs (Y = 1).
        auc: ROC AUC with similar as the positive class and score = -distance.
        eer: Equal error rate, where the false positive rate equals the false negative rate.
        eer_threshold: The distance threshold at the EER (interpolated).
        best_threshold: The threshold of best accuracy (midway between two neighbouring distances).
        best_accuracy: The accuracy at `best_threshold`.
        threshold: The threshold `at_threshold` is computed at: the one given, else `best_threshold`.
        at_threshold: Metrics at `threshold`.
        mean_distance_similar: Mean distance of the similar pairs.
        mean_distance_dissimilar: Mean distance of the dissimilar pairs.
        margin: The contrastive margin m, when known.
        dissimilar_inside_margin: Share of dissimilar pairs with D < margin (None without a margin).
        roc_fpr: ROC false positive rates, increasing.
        roc_tpr: ROC true positive rates.
        roc_thresholds: The distance threshold of each ROC point (finite; the first point, where nothing
            is predicted similar, sits below the smallest distance).
        warnings: Things the user should know, such as labels that look inverted.
        tar_at_far: The true acceptance rate (share of similar pairs called similar) at each false-match
            rate of `COMMON_FARS`, keyed by that rate, with the threshold chosen on these pairs
            (`error_budget.tar_at_far`); None where too few dissimilar pairs measure that rate (fewer than
            `error_budget.dissimilar_pairs_needed`: 100 for 1%, 1,000 for 0.1%).
        intervals: Bootstrap confidence intervals of AUC, EER, and accuracy, precision and recall at
            `threshold` (`siamese_core.intervals`), when asked for; else None.
        calibration: How well the model's probability of "similar" (its `Calibration`) matches these
            pairs: Brier score, expected calibration error, reliability table
            (`siamese_core.calibration.calibration_metrics`); None when no calibration was given.
    """

    n_pairs: int
    n_similar: int
    n_dissimilar: int
    auc: float
    eer: float
    eer_threshold: float
    best_threshold: float
    best_accuracy: float
    threshold: float
    at_threshold: ThresholdMetrics
    mean_distance_similar: float
    mean_distance_dissimilar: float
    margin: float | None = None
    dissimilar_inside_margin: float | None = None
    roc_fpr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    roc_tpr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    roc_thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    warnings: list[str] = field(default_factory=list)
    tar_at_far: dict[float, float | None] = field(default_factory=dict)
    intervals: MetricIntervals | None = None
    calibration: CalibrationMetrics | None = None

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (plain floats and ints), without the ROC arrays; the true acceptance
        rates as "tar_at_far_0.01" and "tar_at_far_0.001" (null where not measurable); "brier_score" and
        "expected_calibration_error" of the model's probability of "similar" (null without a calibration),
        with a calibration also "calibration_bins" and "reliability" (one object per non-empty bin:
        bin_low, bin_high, mean_predicted, observed_similar, pairs)."""
        metrics = self.at_threshold
        return {
            "n_pairs": int(self.n_pairs),
            "n_similar": int(self.n_similar),
            "n_dissimilar": int(self.n_dissimilar),
            "auc": float(self.auc),
            "eer": float(self.eer),
            "eer_threshold": float(self.eer_threshold),
            "best_threshold": float(self.best_threshold),
            "best_accuracy": float(self.best_accuracy),
            "threshold": float(self.threshold),
            "accuracy_at_threshold": float(metrics.accuracy),
            "precision_at_threshold": float(metrics.precision),
            "recall_at_threshold": float(metrics.recall),
            "f1_at_threshold": float(metrics.f1),
            "confusion_matrix": metrics.confusion_matrix().tolist(),
            "mean_distance_similar": float(self.mean_distance_similar),
            "mean_distance_dissimilar": float(self.mean_distance_dissimilar),
            "margin": None if self.margin is None else float(self.margin),
            "dissimilar_inside_margin": (
                None if self.dissimilar_inside_margin is None else float(self.dissimilar_inside_margin)
            ),
            **{
                f"tar_at_far_{far:g}": None if tar is None else float(tar)
                for far, tar in self.tar_at_far.items()
            },
            "warnings": list(self.warnings),
            # "auc_ci": [low, high] and the like, with how they were made (`MetricIntervals.to_dict`).
            **({} if self.intervals is None else self.intervals.to_dict()),
            # Null without a calibration; with one, also "calibration_bins" and "reliability".
            "brier_score": None,
            "expected_calibration_error": None,
            **({} if self.calibration is None else self.calibration.to_dict()),
        }


def _validated(distances, labels, *, need_both: bool) -> tuple[np.ndarray, np.ndarray]:
    """Distances as float64 and a boolean similar mask, after checking what a user can get wrong."""
    distances = np.asarray(distances, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if distances.size == 0 or labels.size == 0:
        raise DataError(
            f"evaluation needs at least one pair; received {distances.size} distances and "
            f"{labels.size} labels"
        )
    if distances.size != labels.size:
        raise DataError(
            f"distances and labels must have the same length; received {distances.size} distances and "
            f"{labels.size} labels"
        )
    not_finite = ~np.isfinite(distances)
    if not_finite.any():
        first = int(np.flatnonzero(not_finite)[0])
        raise DataError(
            f"{int(not_finite.sum())} distances are not finite (NaN or infinite), the first at pair index "
            f"{first} ({distances[first]}); check the model and the features for NaN or huge values"
        )
    bad = ~np.isin(labels, (SIMILAR, DISSIMILAR))
    if bad.any():
        found = ", ".join(str(v) for v in np.unique(labels[bad])[:5])
        raise DataError(
            f"labels must be 0 (similar) or 1 (dissimilar); found {found}. Map the label column first"
        )
    similar_mask = labels == SIMILAR
    if need_both:
        n_similar = int(similar_mask.sum())
        n_dissimilar = int(similar_mask.size - n_similar)
        if n_similar == 0 or n_dissimilar == 0:
            raise DataError(
                "evaluation needs both similar and dissimilar pairs; this set has "
                f"{n_similar:,} similar and {n_dissimilar:,} dissimilar"
            )
    return distances, similar_mask


def check_distances(distances, labels, *, need_both: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Distances and labels checked as every evaluation here checks them.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar.
        need_both: Refuse a set without similar or without dissimilar pairs.

    Returns:
        (distances as float64, boolean mask of the similar pairs).

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or (with
            `need_both`) only one class present.
    """
    return _validated(distances, labels, need_both=need_both)


def check_threshold(threshold, *, name: str = "threshold") -> float:
    """A distance threshold as a float, refused unless it is a finite number.

    Every function that takes a threshold calls this: a NaN threshold would call every pair dissimilar
    (`D <= nan` is false) without a word, and an infinite one every pair one way.

    Args:
        threshold: The threshold (a number, or text such as "0.5").
        name: What messages call it (a margin is checked the same way).

    Returns:
        The threshold as a float.

    Raises:
        ConfigError: It is not a number, or not finite.
    """
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number. Received: {name}={threshold!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be finite. Received: {name}={value}")
    return value


def _ends(sorted_distinct: np.ndarray) -> tuple[float, float]:
    """Thresholds just outside the range of distances: half a neighbouring gap beyond each end.

    Below the smallest distance nothing is predicted similar; above the largest, everything is. When all
    distances are equal there is no gap, so half the distance's size (or 0.5 at zero) stands in.
    """
    low, high = float(sorted_distinct[0]), float(sorted_distinct[-1])
    if sorted_distinct.size > 1:
        low_gap = float(sorted_distinct[1] - sorted_distinct[0])
        high_gap = float(sorted_distinct[-1] - sorted_distinct[-2])
    else:
        low_gap = high_gap = abs(low) if low != 0 else 1.0
    return low - low_gap / 2, high + high_gap / 2


def metrics_at_threshold(distances, labels, threshold) -> ThresholdMetrics:
    """Metrics of predicting "similar" when D <= threshold.

    One class alone is allowed here (the rates that need the other class come out as 0).

    Args:
        distances: (n,) distances between the embeddings of each pair.
        labels: (n,) 0 for similar pairs, 1 for dissimilar ones.
        threshold: Distance at or below which a pair is predicted similar.

    Returns:
        The counts and rates, with similar as the positive class.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1.
        ConfigError: A threshold that is not a finite number.
    """
    distances, similar_mask = _validated(distances, labels, need_both=False)
    threshold = check_threshold(threshold)
    predicted_similar = distances <= threshold
    tp = int(np.sum(similar_mask & predicted_similar))
    fn = int(np.sum(similar_mask & ~predicted_similar))
    fp = int(np.sum(~similar_mask & predicted_similar))
    tn = int(np.sum(~similar_mask & ~predicted_similar))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdMetrics(
        threshold=threshold,
        accuracy=(tp + tn) / distances.size,
        precision=precision,
        recall=recall,
        f1=f1,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
    )


def threshold_cuts(
    distances: np.ndarray, similar_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every different way a threshold splits the pairs, each with a threshold and the pairs it calls similar.

    Sorting the distances once, the pairs called similar by any threshold are a prefix of the sorted order,
    and a threshold cannot split tied distances: there is one prefix per distinct distance, plus the empty
    one. Each prefix's threshold is midway between its last distance and the next distinct one; the empty
    prefix's is below all distances and the full one's above them all (see `_ends`). Where two distinct
    distances are so close that their midpoint rounds onto the larger, the smaller stands in (D <= it calls
    exactly the prefix similar), and the threshold below all is kept strictly below the smallest distance.

    Returns:
        (thresholds, tp, fp), each of length (distinct distances + 1), thresholds increasing: at
        thresholds[i], tp[i] similar and fp[i] dissimilar pairs are called similar (tp[0] = fp[0] = 0).
    """
    order = np.argsort(distances, kind="stable")
    sorted_distances = distances[order]
    sorted_similar = similar_mask[order]
    group_ends = np.flatnonzero(np.append(np.diff(sorted_distances) > 0, True))
    tp = np.concatenate(([0], np.cumsum(sorted_similar)[group_ends]))
    fp = np.concatenate(([0], np.cumsum(~sorted_similar)[group_ends]))
    distinct = sorted_distances[group_ends]
    below, above = _ends(distinct)
    below = min(below, float(np.nextafter(distinct[0], -np.inf)))
    midpoints = (distinct[:-1] + distinct[1:]) / 2
    midpoints = np.where(midpoints < distinct[1:], midpoints, distinct[:-1])
    return np.concatenate(([below], midpoints, [above])), tp, fp


def best_accuracy_threshold(distances, labels) -> tuple[float, float]:
    """The distance threshold with the best accuracy, in O(n log n).

    Sorting the distances once, the pairs predicted similar by any threshold are a prefix of the sorted
    order, so cumulative sums give the accuracy of every candidate at once. Candidates are the midpoints
    between neighbouring distinct distances, plus one threshold below all distances and one above (see
    `_ends`). Among equally accurate thresholds the smallest is returned.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar.

    Returns:
        (best_accuracy, threshold).

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1.
    """
    distances, similar_mask = _validated(distances, labels, need_both=False)
    thresholds, tp, fp = threshold_cuts(distances, similar_mask)
    n_dissimilar = int(fp[-1])
    # Correct predictions at each cut: the similar pairs called similar plus the dissimilar ones not.
    correct = tp + (n_dissimilar - fp)
    best = int(np.argmax(correct))
    return float(correct[best] / distances.size), float(thresholds[best])


def _roc(distances: np.ndarray, similar_mask: np.ndarray, *, drop_intermediate: bool):
    """ROC with similar as positive, thresholds turned back into finite distances."""
    from sklearn.metrics import roc_curve  # scikit-learn loads on first use: it is slow to import

    fpr, tpr, score_thresholds = roc_curve(similar_mask, -distances, drop_intermediate=drop_intermediate)
    # score >= t means -D >= t, that is D <= -t: the distance threshold is -t.
    thresholds = -score_thresholds
    below, _ = _ends(np.unique(distances))
    thresholds[~np.isfinite(thresholds)] = below
    return fpr, tpr, thresholds


def equal_error_rate(distances, labels) -> tuple[float, float]:
    """The equal error rate and its distance threshold.

    Walking the ROC curve (from `sklearn.metrics.roc_curve`), the false positive rate rises and the false
    negative rate (1 - tpr) falls; the EER is where they cross. Between the two ROC points around the
    crossing both rates, and the threshold, are interpolated linearly.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.

    Returns:
        (eer, threshold).

    Raises:
        DataError: Bad inputs, or only one class present.
    """
    distances, similar_mask = _validated(distances, labels, need_both=True)
    fpr, tpr, thresholds = _roc(distances, similar_mask, drop_intermediate=False)
    gap = fpr - (1.0 - tpr)  # -1 at the first point, +1 at the last
    after = int(np.argmax(gap >= 0))
    if gap[after] == 0 or after == 0:
        return float(fpr[after]), float(thresholds[after])
    before = after - 1
    t = -gap[before] / (gap[after] - gap[before])
    eer = fpr[before] + t * (fpr[after] - fpr[before])
    threshold = thresholds[before] + t * (thresholds[after] - thresholds[before])
    return float(eer), float(threshold)


def inverted_labels_warning(distances, labels) -> str | None:
    """A warning when similar pairs are on average farther apart than dissimilar ones.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar.

    Returns:
        The message, or None when the means are in the expected order or a class is missing.
    """
    distances, similar_mask = _validated(distances, labels, need_both=False)
    if similar_mask.all() or not similar_mask.any():
        return None
    mean_similar = float(distances[similar_mask].mean())
    mean_dissimilar = float(distances[~similar_mask].mean())
    if mean_similar <= mean_dissimilar:
        return None
    return (
        f"Similar pairs (label 0) are farther apart on average (mean distance {mean_similar:.4g}) than "
        f"dissimilar pairs (label 1, mean distance {mean_dissimilar:.4g}): the labels are probably "
        "inverted. Here 0 must mean similar and 1 dissimilar; if your file uses another value for "
        "similar, say which value means similar when loading it, or flip the labels (1 - label)."
    )


def roc_auc(distances, labels) -> float:
    """ROC AUC of distances (similar, label 0, is the positive class; a smaller distance scores higher):
    the chance that a random similar pair is closer than a random dissimilar one, ties counting half.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or only one
            class present.
    """
    from sklearn.metrics import roc_auc_score

    distances, similar_mask = _validated(distances, labels, need_both=True)
    return float(roc_auc_score(similar_mask, -distances))


def evaluate_distances(
    distances,
    labels,
    *,
    threshold=None,
    margin=None,
    intervals: bool = False,
    sample_ids=None,
    calibration: Calibration | None = None,
) -> EvalResult:
    """Evaluate how well distances separate similar from dissimilar pairs.

    Args:
        distances: (n,) distances between the embeddings of each pair.
        labels: (n,) 0 for similar pairs, 1 for dissimilar ones; both must be present.
        threshold: The distance threshold to report metrics at; None picks the best-accuracy threshold.
        margin: The contrastive margin m, to report the share of dissimilar pairs inside it.
        intervals: Also give 95% bootstrap intervals (`siamese_core.intervals.bootstrap_intervals`, 1,000
            resamples, seed 0). Off by default: they take time in proportion to the pairs (bench/README.md).
        sample_ids: (n, 2) the sample of each pair's two sides (`intervals.pair_sample_ids(left, right)`),
            so that the intervals resample samples; None resamples pairs (too narrow where pairs share
            samples).
        calibration: The model's `siamese_core.calibration.Calibration`, to measure how well its
            probability of "similar" is calibrated on these pairs (`EvalResult.calibration`).

    Returns:
        An `EvalResult`.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or only one
            class present.
        ConfigError: A threshold that is not finite, or a margin that is not > 0.
    """
    # The error budget and the intervals are measured with this module's checks: they import it.
    from siamese_core.error_budget import tar_at_far
    from siamese_core.intervals import bootstrap_intervals

    distances, similar_mask = _validated(distances, labels, need_both=True)
    labels = np.where(similar_mask, SIMILAR, DISSIMILAR)
    if margin is not None:
        margin = check_threshold(margin, name="margin")
        if margin <= 0:
            raise ConfigError(f"margin must be > 0. Received: margin={margin}")
    if threshold is not None:
        threshold = check_threshold(threshold)

    auc = roc_auc(distances, labels)
    eer, eer_threshold = equal_error_rate(distances, labels)
    best_accuracy, best_threshold = best_accuracy_threshold(distances, labels)
    used_threshold = best_threshold if threshold is None else threshold
    at_threshold = metrics_at_threshold(distances, labels, used_threshold)
    fpr, tpr, roc_thresholds = _roc(distances, similar_mask, drop_intermediate=True)
    tar = {far: tar_at_far(distances, labels, far) for far in COMMON_FARS}

    dissimilar_distances = distances[~similar_mask]
    inside = None if margin is None else float(np.mean(dissimilar_distances < margin))
    warning = inverted_labels_warning(distances, labels)
    n_similar = int(similar_mask.sum())
    return EvalResult(
        n_pairs=int(distances.size),
        n_similar=n_similar,
        n_dissimilar=int(distances.size - n_similar),
        auc=auc,
        eer=eer,
        eer_threshold=eer_threshold,
        best_threshold=best_threshold,
        best_accuracy=best_accuracy,
        threshold=float(used_threshold),
        at_threshold=at_threshold,
        mean_distance_similar=float(distances[similar_mask].mean()),
        mean_distance_dissimilar=float(dissimilar_distances.mean()),
        margin=margin,
        dissimilar_inside_margin=inside,
        roc_fpr=fpr,
        roc_tpr=tpr,
        roc_thresholds=roc_thresholds,
        warnings=[] if warning is None else [warning],
        tar_at_far=tar,
        intervals=(
            bootstrap_intervals(distances, labels, sample_ids=sample_ids, threshold=used_threshold)
            if intervals
            else None
        ),
        calibration=(
            None if calibration is None else calibration_metrics(calibration.p_similar(distances), labels)
        ),
    )


def hardest_pairs(distances, labels, *, k=10, rows=None) -> pd.DataFrame:
    """The pairs the model gets most wrong: similar pairs far apart, then dissimilar pairs close.

    Ties keep the input order.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar.
        k: How many of each kind (fewer when a class has fewer pairs).
        rows: (n,) the data row number of each pair (e.g. `PairSet.rows`); None uses the 0-based index.

    Returns:
        A DataFrame with columns kind ("similar, far apart" or "dissimilar, close"), row, distance and
        label: the k similar pairs with the largest distances, largest first, then the k dissimilar pairs
        with the smallest distances, smallest first.

    Raises:
        DataError: Bad inputs, or `rows` of another length.
        ConfigError: k not a non-negative integer.
    """
    distances, similar_mask = _validated(distances, labels, need_both=False)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ConfigError(f"k must be a non-negative integer. Received: k={k!r}")
    rows = np.arange(distances.size) if rows is None else np.asarray(rows).reshape(-1)
    if rows.size != distances.size:
        raise DataError(
            f"rows must have one entry per pair; received {rows.size} rows for {distances.size} pairs"
        )

    similar_index = np.flatnonzero(similar_mask)
    dissimilar_index = np.flatnonzero(~similar_mask)
    far = similar_index[np.argsort(-distances[similar_index], kind="stable")[:k]]
    close = dissimilar_index[np.argsort(distances[dissimilar_index], kind="stable")[:k]]
    index = np.concatenate((far, close))
    return pd.DataFrame(
        {
            "kind": [SIMILAR_FAR] * far.size + [DISSIMILAR_CLOSE] * close.size,
            "row": rows[index],
            "distance": distances[index],
            "label": np.where(similar_mask[index], int(SIMILAR), int(DISSIMILAR)).astype(np.int64),
        }
    )
