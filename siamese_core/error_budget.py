"""Error budgets: the threshold chosen on labelled pairs for a false-match rate or a precision, as face- and
speaker-verification systems are set, and the true acceptance rate at a false-match rate.

A threshold can only split the sorted distances between two distinct distances (`evaluation.threshold_cuts`:
one cut per distinct distance, tied distances called similar together or not at all). A budget picks one
of those cuts; its threshold is placed as `evaluation.best_accuracy_threshold` places its own. The
threshold is chosen on the pairs it is then measured on, so the numbers at it flatter the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import check_distances, check_threshold, threshold_cuts


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
    `evaluation.threshold_cuts`). Tied distances are called similar together or not at all, so a dissimilar pair that would
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
    distances, similar_mask = check_distances(distances, labels)
    thresholds, _, fp = threshold_cuts(distances, similar_mask)
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

    Args and Raises: as `threshold_at_far`.

    Returns:
        The TAR, from 0 to 1, or None.
    """
    far = _far(far)
    distances, similar_mask = check_distances(distances, labels)
    _, tp, fp = threshold_cuts(distances, similar_mask)
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
    distances, similar_mask = check_distances(distances, labels)
    thresholds, tp, fp = threshold_cuts(distances, similar_mask)
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
