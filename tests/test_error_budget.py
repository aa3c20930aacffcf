"""Tests of siamese_core.error_budget (issue 18): thresholds for at most a false-match rate or at least a
precision, and the true acceptance rate (TAR) at the common false-match rates; every expected number is
worked out by hand in the docstring or a comment."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from siamese_core.error_budget import (
    ThresholdTarget,
    dissimilar_pairs_needed,
    tar_at_far,
    threshold_at_far,
    threshold_at_precision,
)
from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import evaluate_distances, metrics_at_threshold

# Sorted: 0.1 S, 0.2 D, 0.3 S, 0.4 S, 0.5 D, 0.6 D (3 similar, 3 dissimilar).
BUDGET = ([0.4, 0.2, 0.6, 0.1, 0.5, 0.3], [0, 1, 1, 0, 1, 0])


@pytest.mark.parametrize(
    ("far", "threshold", "false_matches", "tar"),
    [
        (0.0, 0.15, 0, 1 / 3),  # no false match: only 0.1; midway to the next distance, 0.2
        (0.3, 0.15, 0, 1 / 3),  # 1 of 3 is 33% > 30%: still none allowed
        (1 / 3, 0.45, 1, 1.0),  # exactly 1 of 3 allowed: up to 0.4, midway to 0.5
        (0.5, 0.45, 1, 1.0),  # 2 of 3 (67%) is over: 0.5 stays out
        (0.67, 0.55, 2, 1.0),  # 2/3 = 0.6667 <= 0.67: up to 0.5, midway to 0.6
        (1.0, 0.65, 3, 1.0),  # everything: half the top gap (0.1) above 0.6
    ],
)
def test_threshold_at_far_by_hand(far, threshold, false_matches, tar):
    """BUDGET has 3 dissimilar pairs, so the false-match rates a threshold can have are 0, 1/3, 2/3, 1.
    The threshold is the most permissive within the budget, placed midway between the last distance it
    calls similar and the next one (as the best-accuracy threshold is)."""
    chosen = threshold_at_far(*BUDGET, far)
    assert chosen == pytest.approx(threshold)
    metrics = metrics_at_threshold(*BUDGET, chosen)
    assert metrics.fp == false_matches
    assert metrics.recall == pytest.approx(tar)
    # 3 dissimilar pairs measure only far = 0 and far >= 1/3 (see dissimilar_pairs_needed).
    assert tar_at_far(*BUDGET, far) == (pytest.approx(tar) if far == 0 or far >= 1 / 3 else None)


def test_threshold_at_far_never_splits_tied_distances():
    """Sorted: 0.1 S, then 0.2 twice (one S, one D), then 0.4 D. A threshold calls both 0.2 pairs similar
    or neither: with no false match allowed the similar pair at 0.2 stays out too (0.15, TAR 1/2); with
    1 of 2 allowed (50%) both are in, up to 0.3, midway to 0.4 (TAR 1)."""
    ties = ([0.1, 0.2, 0.2, 0.4], [0, 0, 1, 1])
    assert threshold_at_far(*ties, 0.0) == pytest.approx(0.15)
    assert tar_at_far(*ties, 0.0) == 0.5
    assert threshold_at_far(*ties, 0.5) == pytest.approx(0.3)
    assert tar_at_far(*ties, 0.5) == 1.0


def test_threshold_at_far_when_not_even_the_closest_pair_fits():
    """The closest pair (0.1) is dissimilar: with no false match allowed nothing is called similar; the
    threshold sits half the lowest gap (0.1) below it, at 0.05, and the TAR is 0."""
    assert threshold_at_far([0.1, 0.2], [1, 0], 0.0) == pytest.approx(0.05)
    assert tar_at_far([0.1, 0.2], [1, 0], 0.0) == 0.0


def test_budget_thresholds_never_land_on_the_next_distance():
    """Neighbouring floats: the midpoint of 1 + 2 ulp and 1 + 4 ulp... rounds onto the larger (ties to
    even), which would call the dissimilar pair similar; the smaller distance stands in instead. And at
    1e16, half the gap below the smallest distance rounds back onto it; the threshold stays below."""
    a = float(np.nextafter(1.0, 2.0))
    b = float(np.nextafter(a, 2.0))
    assert (a + b) / 2 == b  # what the guard is for
    chosen = threshold_at_far([a, b], [0, 1], 0.0)
    assert chosen == a and metrics_at_threshold([a, b], [0, 1], chosen).fp == 0
    big = [1e16, float(np.nextafter(1e16, np.inf))]
    assert threshold_at_far(big, [1, 0], 0.0) < 1e16


@pytest.mark.parametrize(
    ("precision", "threshold"),
    [
        (1.0, 0.15),  # only 0.1 alone is all similar (1/1)
        (0.75, 0.45),  # up to 0.4: 3 similar of 4 called similar
        (0.6, 0.45),  # up to 0.5 is 3/5 = 0.6 too, with the same 3 similar: the fewer false matches win
        (0.5, 0.45),  # up to 0.6 is 3/6: same
        (0.7, 0.45),
    ],
)
def test_threshold_at_precision_by_hand(precision, threshold):
    """BUDGET's precision at each cut: 0.1 -> 1/1, 0.2 -> 1/2, 0.3 -> 2/3, 0.4 -> 3/4, 0.5 -> 3/5,
    0.6 -> 3/6. Of the cuts reaching the target, the one with the most similar pairs called similar,
    and of those the smallest. Precision is not monotone: at 0.7, 0.1 (1/1) and 0.4 (3/4) qualify while
    0.2 (1/2) and 0.3 (2/3) between them do not; 0.4 calls more similar pairs similar."""
    assert threshold_at_precision(*BUDGET, precision) == pytest.approx(threshold)


def test_threshold_at_precision_with_ties_and_a_dip():
    """Sorted: 0.1 S, 0.2 twice (S and D), 0.4 S. Precision 1 keeps 0.2 out (its tie holds a dissimilar
    pair): 0.15. Precision 0.75: 0.1 (1/1) and all four (3/4) qualify, the 0.2 cut (2/3) does not; all
    four call the most similar pairs similar: half the top gap above 0.4, 0.5.
    Sorted 0.1 S, 0.2 D, 0.3 D at precision 0.3: every cut has 1 similar pair (1/1, 1/2, 1/3 all qualify);
    the fewest false matches win: 0.15."""
    ties = ([0.2, 0.1, 0.4, 0.2], [1, 0, 0, 0])
    assert threshold_at_precision(*ties, 1.0) == pytest.approx(0.15)
    assert threshold_at_precision(*ties, 0.75) == pytest.approx(0.5)
    assert threshold_at_precision([0.1, 0.2, 0.3], [0, 1, 1], 0.3) == pytest.approx(0.15)


def test_an_unreachable_precision_says_the_best_reachable():
    """Sorted 0.1 D, 0.2 S, 0.3 D: the cuts' precisions are 0/1, 1/2, 1/3; the best is 1/2, calling the
    2 closest pairs similar."""
    with pytest.raises(DataError) as caught:
        threshold_at_precision([0.3, 0.1, 0.2], [1, 1, 0], 0.9)
    assert str(caught.value) == (
        "no threshold reaches a precision of 0.9 on these 3 pairs: the highest any threshold reaches is 0.5 "
        "(1 similar among the 2 closest pairs); lower the precision target, or choose the threshold by its "
        "false-match rate"
    )


def test_dissimilar_pairs_needed_to_measure_a_false_match_rate():
    """The fewest n with 1/n <= far: 1% needs 100, 0.1% needs 1,000; 29% needs 4 (1/4 = 25%, 1/3 = 33%);
    exactly a third needs 3; far = 0 is measured by any dissimilar pair."""
    assert [dissimilar_pairs_needed(far) for far in (0.01, 0.001, 0.29, 1 / 3, 1.0, 0.0)] == [
        100,
        1000,
        4,
        3,
        1,
        1,
    ]


def test_dissimilar_pairs_needed_where_one_over_far_rounds_the_wrong_way():
    """In floating point 1 / (1/49) is just over 49, so its ceiling overshoots to 50, yet 1/49 <= 1/49:
    49 pairs do. 1 / 0.19999999999999998 (the float just below 0.2) rounds to exactly 5, yet 1/5 > it: 6
    pairs are needed. 0.5 and 0.7 need 2 (1/1 is over both)."""
    below_a_fifth = float(np.nextafter(0.2, 0))
    assert [dissimilar_pairs_needed(far) for far in (1 / 49, below_a_fifth, 0.5, 0.7)] == [49, 6, 2, 2]


def test_dissimilar_pairs_needed_for_a_tiny_rate_is_answered_at_once():
    """1e-12 needs 10**12 dissimilar pairs: found from 1 / far, not by counting up to it."""
    assert dissimilar_pairs_needed(1e-12) == 10**12


def _hundred(n_dissimilar: int):
    """Similar pairs at 0.5, 1.5, 2.5; dissimilar pairs at 1, 2, ..., n_dissimilar."""
    distances = [0.5, 1.5, 2.5, *range(1, n_dissimilar + 1)]
    return [float(d) for d in distances], [0, 0, 0] + [1] * n_dissimilar


def test_tar_at_common_fars_in_the_evaluation_and_its_dict():
    """100 dissimilar pairs: FAR 1% allows 1 false match. Sorted 0.5 S, 1 D, 1.5 S, 2 D...: the cut ends
    after 1.5 (1 false match), so 2 of the 3 similar pairs are accepted: TAR 2/3, at threshold 1.75.
    FAR 0.1% would need 1,000 dissimilar pairs: None. With 99 dissimilar pairs, FAR 1% is None too."""
    distances, labels = _hundred(100)
    assert threshold_at_far(distances, labels, 0.01) == pytest.approx(1.75)
    result = evaluate_distances(distances, labels)
    assert result.tar_at_far == {0.01: pytest.approx(2 / 3), 0.001: None}
    as_dict = json.loads(json.dumps(result.to_dict()))
    assert as_dict["tar_at_far_0.01"] == pytest.approx(2 / 3)
    assert as_dict["tar_at_far_0.001"] is None
    assert evaluate_distances(*_hundred(99)).tar_at_far == {0.01: None, 0.001: None}


def test_budget_settings_and_classes_are_checked():
    for call, value, message in [
        (threshold_at_far, 2, "far must be a share from 0 to 1, such as 0.01 for 1%. Received: far=2"),
        (tar_at_far, -0.1, "far must be a share from 0 to 1, such as 0.01 for 1%. Received: far=-0.1"),
        (threshold_at_far, "abc", "far must be a number. Received: far='abc'"),
        (threshold_at_far, math.nan, "far must be finite. Received: far=nan"),
        (
            threshold_at_precision,
            0,
            "precision must be a share above 0 and at most 1, such as 0.99 for 99%. Received: precision=0",
        ),
        (
            threshold_at_precision,
            99,
            "precision must be a share above 0 and at most 1, such as 0.99 for 99%. Received: precision=99",
        ),
    ]:
        with pytest.raises(ConfigError) as caught:
            call(*BUDGET, value)
        assert str(caught.value) == message
    for call in (threshold_at_far, threshold_at_precision, tar_at_far):
        with pytest.raises(DataError) as caught:
            call([0.1, 0.2], [1, 1], 0.5)
        assert str(caught.value) == (
            "evaluation needs both similar and dissimilar pairs; this set has 0 similar and 2 dissimilar"
        )


@pytest.mark.parametrize(
    ("text", "kind", "value", "words"),
    [
        ("far=0.01", "far", 0.01, "at most 1% false matches"),
        (" FAR = 0.001 ", "far", 0.001, "at most 0.1% false matches"),
        ("precision=0.99", "precision", 0.99, "at least 99% precision"),
        ("precision=1", "precision", 1.0, "at least 100% precision"),
        ("far=0", "far", 0.0, "at most 0% false matches"),
    ],
)
def test_threshold_target_parses_and_says_itself(text, kind, value, words):
    target = ThresholdTarget.parse(text)
    assert (target.kind, target.value, target.describe()) == (kind, value, words)
    chooser = threshold_at_far if kind == "far" else threshold_at_precision
    assert target.threshold(*BUDGET) == chooser(*BUDGET, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "foo=0.1",
            "expected far=RATE or precision=SHARE, such as far=0.01 or precision=0.99. Received: 'foo=0.1'",
        ),
        ("far", "expected far=RATE or precision=SHARE, such as far=0.01 or precision=0.99. Received: 'far'"),
        ("far=2", "far must be a share from 0 to 1, such as 0.01 for 1%. Received: far=2"),
        ("precision=abc", "precision must be a number. Received: precision='abc'"),
        (
            "far=1",
            "far=1 allows every dissimilar pair through; give a share below 1, such as far=0.01 for 1%",
        ),
        (
            "precision=0",
            "precision must be a share above 0 and at most 1, such as 0.99 for 99%. Received: precision=0",
        ),
        ("precision=0.9=x", "precision must be a number. Received: precision='0.9=x'"),
    ],
)
def test_threshold_target_refuses_what_it_cannot_read(text, message):
    with pytest.raises(ConfigError) as caught:
        ThresholdTarget.parse(text)
    assert str(caught.value) == message


def test_a_threshold_target_of_an_unknown_kind_is_refused_by_its_constructor():
    with pytest.raises(ConfigError) as caught:
        ThresholdTarget("recall", 0.5)
    assert str(caught.value) == "kind must be far or precision. Received: kind='recall'"
    with pytest.raises(ConfigError) as caught:
        threshold_at_precision(*BUDGET, 0)
    assert str(caught.value).startswith("precision must be a share above 0 and at most 1")
