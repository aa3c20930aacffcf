"""How well distances separate similar from dissimilar pairs.

A Siamese model gives one Euclidean distance D per pair; labels follow the contrastive-loss convention
(Y = 0 similar, Y = 1 dissimilar, see `siamese_core.pairs`). A pair is predicted similar when
D <= threshold, so "similar" is the positive class throughout: a true positive is a similar pair
predicted similar, a false positive a dissimilar pair predicted similar.

Everything here takes plain arrays and returns plain values or small dataclasses, so the CLI, the
dashboard and the HTML report share one set of numbers.
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
            (`tar_at_far`); None where too few dissimilar pairs measure that rate (fewer than
            `dissimilar_pairs_needed`: 100 for 1%, 1,000 for 0.1%).
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


def _cuts(distances: np.ndarray, similar_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    thresholds, tp, fp = _cuts(distances, similar_mask)
    n_dissimilar = int(fp[-1])
    # Correct predictions at each cut: the similar pairs called similar plus the dissimilar ones not.
    correct = tp + (n_dissimilar - fp)
    best = int(np.argmax(correct))
    return float(correct[best] / distances.size), float(thresholds[best])


def _share(value, name: str, *, example: str, zero: bool) -> float:
    """A rate or a share as a float, refused unless it is a number from 0 (or above 0) to 1."""
    value = check_threshold(value, name=name)
    if not 0 <= value <= 1 or (value == 0 and not zero):
        span = "from 0 to 1" if zero else "above 0 and at most 1"
        raise ConfigError(f"{name} must be a share {span}, such as {example}. Received: {name}={value:g}")
    return value


def _far(far) -> float:
    return _share(far, "far", example="0.01 for 1%", zero=True)


def _far_cut(fp: np.ndarray, far: float) -> int:
    """The longest cut whose false-match rate fp / (dissimilar pairs) is at most `far` (the empty cut's is 0).

    fp only grows along the cuts, so the cuts within the budget are the first ones. A count over a count
    is correctly rounded, so 1 / 100 <= 0.01 holds exactly as written.
    """
    return int(np.flatnonzero(fp / fp[-1] <= far)[-1])


def threshold_at_far(distances, labels, far) -> float:
    """The threshold that calls the most pairs similar while calling at most a share `far` of the
    dissimilar pairs similar: the most permissive threshold whose false-match rate is <= far.

    The false-match rate (FAR) of a threshold t is (dissimilar pairs with D <= t) / (dissimilar pairs). It
    changes only at the distances, so every threshold from one distinct distance up to (not including) the
    next has the same rate and the same verdicts; the one returned is midway between the last distance it
    calls similar and the next distinct distance, as `best_accuracy_threshold` places its thresholds (see
    `_cuts`). Tied distances are called similar together or not at all, so a dissimilar pair that would
    break the budget keeps the similar pairs at its very distance out too. When even the closest distance
    breaks it, the threshold is below all distances and nothing is called similar (FAR 0); when every pair
    fits (far = 1, or no dissimilar pair below the farthest), it is above them all.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.
        far: The most false matches allowed, as a share of the dissimilar pairs (0.01 for 1%), 0 to 1.

    Returns:
        The threshold.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or only one
            class present.
        ConfigError: `far` is not a number from 0 to 1.
    """
    far = _far(far)
    distances, similar_mask = _validated(distances, labels, need_both=True)
    thresholds, _, fp = _cuts(distances, similar_mask)
    return float(thresholds[_far_cut(fp, far)])


def dissimilar_pairs_needed(far) -> int:
    """The fewest dissimilar pairs that measure a false-match rate: the smallest n with 1 / n <= far.

    With n dissimilar pairs the rates a threshold can have are 0, 1/n, 2/n, ..., so a rate 0 < far < 1/n
    allows no false match at all and cannot be told from far = 0. FAR 1% needs 100 dissimilar pairs, 0.1%
    needs 1,000; far = 0 needs 1 (any dissimilar pair measures "no false match").

    Raises:
        ConfigError: `far` is not a number from 0 to 1.
    """
    far = _far(far)
    if far == 0:
        return 1
    needed = max(1, math.ceil(1 / far))
    while needed > 1 and 1 / (needed - 1) <= far:  # 1 / far may round either way
        needed -= 1
    while 1 / needed > far:
        needed += 1
    return needed


def tar_at_far(distances, labels, far) -> float | None:
    """The true acceptance rate (TAR) at a false-match rate: the share of similar pairs called similar at
    `threshold_at_far(distances, labels, far)`, or None where these pairs cannot measure that rate.

    The rule for None: fewer dissimilar pairs than `dissimilar_pairs_needed(far)`, that is fewer than one
    false match allowed (FAR 1% needs 100 dissimilar pairs, 0.1% needs 1,000). Below that the threshold
    would be the one of no false match at all, and its TAR, that of FAR 0, would be reported under a rate
    it does not measure. The threshold is chosen on the same pairs the TAR is measured on, so the TAR is
    an optimistic estimate for new pairs.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.
        far: The false-match rate, as a share of the dissimilar pairs (0.01 for 1%), 0 to 1.

    Returns:
        The TAR, from 0 to 1, or None.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or only one
            class present.
        ConfigError: `far` is not a number from 0 to 1.
    """
    far = _far(far)
    distances, similar_mask = _validated(distances, labels, need_both=True)
    _, tp, fp = _cuts(distances, similar_mask)
    return _tar(tp, fp, far)


def _tar(tp: np.ndarray, fp: np.ndarray, far: float) -> float | None:
    """`tar_at_far` from the counts of `_cuts`."""
    if fp[-1] < dissimilar_pairs_needed(far):
        return None
    return float(tp[_far_cut(fp, far)] / tp[-1])


def threshold_at_precision(distances, labels, precision) -> float:
    """The threshold that calls the most similar pairs similar among those whose precision is at least
    `precision` (precision: the share of similar pairs among the pairs called similar).

    Precision does not fall steadily as the threshold grows, so every cut is tried (cuts, ties and the
    placement of thresholds as in `threshold_at_far`). Of the cuts that reach the target, the one calling
    the most similar pairs similar is taken, and of those the one calling the fewest dissimilar pairs
    similar (the smallest threshold). A threshold below all distances calls nothing similar and has no
    precision, so it never qualifies. A threshold between the one returned and a smaller one that also
    qualifies may fall short of the target.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.
        precision: The least precision, a share above 0 and at most 1 (0.99 for 99%).

    Returns:
        The threshold.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, only one class
            present, or no threshold reaches `precision` on these pairs (the message says the highest
            precision any threshold reaches).
        ConfigError: `precision` is not a number above 0 and at most 1.
    """
    precision = _share(precision, "precision", example="0.99 for 99%", zero=False)
    distances, similar_mask = _validated(distances, labels, need_both=True)
    thresholds, tp, fp = _cuts(distances, similar_mask)
    tp, fp, thresholds = tp[1:], fp[1:], thresholds[1:]  # the empty cut has no precision
    reached = tp / (tp + fp)
    qualifying = np.flatnonzero(reached >= precision)
    if qualifying.size == 0:
        best = int(np.flatnonzero(reached == reached.max())[-1])
        raise DataError(
            f"no threshold reaches a precision of {precision:g} on these {distances.size:,} pairs: the highest "
            f"any threshold reaches is {reached[best]:.4g} ({int(tp[best]):,} similar among the "
            f"{int(tp[best] + fp[best]):,} closest pairs); lower the precision target, or choose the threshold "
            "by its false-match rate"
        )
    # tp only grows along the cuts: the first qualifying cut with the most similar pairs.
    most = qualifying[tp[qualifying] == tp[qualifying].max()]
    return float(thresholds[most[0]])


THRESHOLD_TARGET_KINDS = ("far", "precision")


@dataclass(frozen=True)
class ThresholdTarget:
    """An error budget that chooses the threshold on labelled pairs, as verification systems are set.

    Attributes:
        kind: "far" (at most this share of the dissimilar pairs called similar, `threshold_at_far`) or
            "precision" (at least this share of similar pairs among those called similar,
            `threshold_at_precision`).
        value: The share, 0 to 1 (above 0 for a precision).
    """

    kind: str
    value: float

    def __post_init__(self):
        if self.kind not in THRESHOLD_TARGET_KINDS:
            raise ConfigError(f"kind must be far or precision. Received: kind={self.kind!r}")
        if self.kind == "far":
            object.__setattr__(self, "value", _far(self.value))
        else:
            object.__setattr__(
                self, "value", _share(self.value, "precision", example="0.99 for 99%", zero=False)
            )

    @classmethod
    def parse(cls, text: str) -> ThresholdTarget:
        """A target written as "far=0.01" or "precision=0.99" (shares, not percentages).

        far=1 is refused: it would call every pair similar, and was more likely meant as 1% (far=0.01).

        Raises:
            ConfigError: Another form, an unknown kind, or a value out of range.
        """
        kind, equals, value = str(text).partition("=")
        kind = kind.strip().lower()
        if not equals or kind not in THRESHOLD_TARGET_KINDS:
            raise ConfigError(
                f"expected far=RATE or precision=SHARE, such as far=0.01 or precision=0.99. Received: {text!r}"
            )
        target = cls(kind, value.strip())
        if target.kind == "far" and target.value == 1:
            raise ConfigError(
                "far=1 allows every dissimilar pair through; give a share below 1, such as far=0.01 for 1%"
            )
        return target

    def describe(self) -> str:
        """The target in words, such as "at most 1% false matches" or "at least 99% precision"."""
        percent = f"{self.value * 100:g}%"
        return f"at most {percent} false matches" if self.kind == "far" else f"at least {percent} precision"

    def threshold(self, distances, labels) -> float:
        """The threshold this target chooses on these pairs (`threshold_at_far` or `threshold_at_precision`)."""
        choose = threshold_at_far if self.kind == "far" else threshold_at_precision
        return choose(distances, labels, self.value)


def _roc(distances: np.ndarray, similar_mask: np.ndarray, *, drop_intermediate: bool):
    """ROC with similar as positive, thresholds turned back into finite distances."""
    from sklearn.metrics import roc_curve  # scikit-learn loads on first use (a second at start-up)

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
            resamples, seed 0). Off by default: they cost about a second per 100,000 pairs.
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
    _, tp, fp = _cuts(distances, similar_mask)
    tar = {far: _tar(tp, fp, far) for far in COMMON_FARS}

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
        intervals=_intervals(distances, labels, used_threshold, sample_ids) if intervals else None,
        calibration=(
            None if calibration is None else calibration_metrics(calibration.p_similar(distances), labels)
        ),
    )


def _intervals(distances, labels, threshold: float, sample_ids) -> MetricIntervals:
    from siamese_core.intervals import bootstrap_intervals  # it imports this module

    return bootstrap_intervals(distances, labels, sample_ids=sample_ids, threshold=threshold)


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
