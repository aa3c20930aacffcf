"""Tests of siamese_core.evaluation; every expected number is worked out by hand in the docstring."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import (
    DISSIMILAR_CLOSE,
    SIMILAR_FAR,
    EvalResult,
    best_accuracy_threshold,
    check_threshold,
    equal_error_rate,
    evaluate_distances,
    hardest_pairs,
    inverted_labels_warning,
    metrics_at_threshold,
)

SEPARATED = ([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
# Sorted by distance: 0.1 S, 0.4 D, 0.5 S, 0.9 D (S similar, D dissimilar).
OVERLAP = ([0.1, 0.5, 0.4, 0.9], [0, 0, 1, 1])


def test_perfectly_separated():
    """Similar at 0.1, 0.2 and dissimilar at 0.8, 0.9: every similar pair is closer than every dissimilar.

    AUC is 1 and the EER 0. Thresholds in [0.2, 0.8) are all perfect; the midpoint 0.5 of the two
    neighbouring distances 0.2 and 0.8 is the one reported, with accuracy 1.
    """
    result = evaluate_distances(*SEPARATED)
    assert result.auc == 1.0
    assert result.eer == 0.0
    assert 0.2 <= result.eer_threshold < 0.8
    assert result.best_accuracy == 1.0
    assert result.best_threshold == pytest.approx(0.5)
    assert result.threshold == pytest.approx(0.5)
    assert result.at_threshold.confusion_matrix().tolist() == [[2, 0], [0, 2]]
    assert result.mean_distance_similar == pytest.approx(0.15)
    assert result.mean_distance_dissimilar == pytest.approx(0.85)
    assert (result.n_pairs, result.n_similar, result.n_dissimilar) == (4, 2, 2)
    assert result.warnings == []


def test_one_overlap_auc_eer_and_best_accuracy():
    """Similar {0.1, 0.5}, dissimilar {0.4, 0.9}.

    AUC = share of (similar, dissimilar) couples with the similar one closer: (0.1, 0.4), (0.1, 0.9),
    (0.5, 0.9) are, (0.5, 0.4) is not -> 3/4 = 0.75.

    EER: ROC points (fpr, fnr) going up through the sorted distances are (0, 1), (0, .5) after 0.1,
    (.5, .5) after 0.4 -> the rates are equal there exactly: EER 0.5 at threshold 0.4.

    Best accuracy: calling the first 1 pair similar (0.1) gets 0.1 right plus both dissimilar = 3/4; the
    first 3 (0.1, 0.4, 0.5) get both similar plus 0.9 = 3/4; 0, 2 or 4 pairs get 2/4. The smallest best
    threshold is midway between 0.1 and 0.4: 0.25.
    """
    result = evaluate_distances(*OVERLAP)
    assert result.auc == pytest.approx(0.75)
    assert result.eer == pytest.approx(0.5)
    assert result.eer_threshold == pytest.approx(0.4)
    assert result.best_accuracy == pytest.approx(0.75)
    assert result.best_threshold == pytest.approx(0.25)


def test_eer_interpolates_between_roc_points():
    """Sorted: 0.1 S, 0.2 D, 0.3 S, 0.5 S (3 similar, 1 dissimilar).

    (fpr, fnr) at threshold 0.1 is (0, 2/3) and at 0.2 is (1, 2/3): fnr stays 2/3 while fpr goes from 0
    to 1, so they cross 2/3 of the way along that segment. EER = 2/3, and the threshold is interpolated
    the same way: 0.1 + 2/3 * (0.2 - 0.1) = 0.1667.
    """
    eer, threshold = equal_error_rate([0.1, 0.2, 0.3, 0.5], [0, 1, 0, 0])
    assert eer == pytest.approx(2 / 3)
    assert threshold == pytest.approx(0.1 + 2 / 3 * 0.1)


def test_metrics_at_threshold_by_hand():
    """At threshold 0.45 on OVERLAP, predicted similar are 0.1 (S) and 0.4 (D).

    tp = 1 (0.1), fp = 1 (0.4), fn = 1 (0.5), tn = 1 (0.9). Accuracy 2/4, precision 1/2, recall 1/2,
    F1 = 2 * .5 * .5 / (.5 + .5) = 0.5.
    """
    metrics = metrics_at_threshold(*OVERLAP, 0.45)
    assert (metrics.tp, metrics.fp, metrics.tn, metrics.fn) == (1, 1, 1, 1)
    assert metrics.confusion_matrix().tolist() == [[1, 1], [1, 1]]
    assert metrics.accuracy == pytest.approx(0.5)
    assert metrics.precision == pytest.approx(0.5)
    assert metrics.recall == pytest.approx(0.5)
    assert metrics.f1 == pytest.approx(0.5)


def test_metrics_uneven_confusion_matrix_layout():
    """Distances [0.1, 0.2, 0.3, 0.6, 0.7], labels S S D S D, threshold 0.35.

    Predicted similar: 0.1 S, 0.2 S, 0.3 D -> tp 2, fp 1; predicted dissimilar: 0.6 S, 0.7 D -> fn 1,
    tn 1. Rows are actual (similar, dissimilar), columns predicted: [[tp, fn], [fp, tn]] = [[2, 1], [1, 1]].
    Precision 2/3, recall 2/3, F1 2/3, accuracy 3/5. A pair exactly at the threshold counts as similar.
    """
    metrics = metrics_at_threshold([0.1, 0.2, 0.3, 0.6, 0.7], [0, 0, 1, 0, 1], 0.35)
    assert metrics.confusion_matrix().tolist() == [[2, 1], [1, 1]]
    assert metrics.precision == pytest.approx(2 / 3)
    assert metrics.recall == pytest.approx(2 / 3)
    assert metrics.f1 == pytest.approx(2 / 3)
    assert metrics.accuracy == pytest.approx(3 / 5)
    assert metrics_at_threshold([0.3], [0], 0.3).tp == 1
    assert metrics.as_dict()["tp"] == 2


def test_metrics_nothing_predicted_similar_is_zero_not_nan():
    """Threshold below all distances: no pair predicted similar, so precision, recall and F1 are 0."""
    metrics = metrics_at_threshold(*SEPARATED, 0.0)
    assert (metrics.precision, metrics.recall, metrics.f1) == (0.0, 0.0, 0.0)
    assert metrics.accuracy == pytest.approx(0.5)


def test_given_threshold_and_margin():
    """Margin 0.85: of the dissimilar distances 0.8 and 0.9 only 0.8 is < 0.85 -> share 0.5.

    With threshold 0.85 all four pairs but 0.9 are predicted similar: tp 2, fp 1, tn 1.
    """
    result = evaluate_distances(*SEPARATED, threshold=0.85, margin=0.85)
    assert result.dissimilar_inside_margin == pytest.approx(0.5)
    assert result.margin == 0.85
    assert result.threshold == 0.85
    assert result.at_threshold.confusion_matrix().tolist() == [[2, 0], [1, 1]]
    assert result.best_threshold == pytest.approx(0.5)  # still reported
    assert evaluate_distances(*SEPARATED).dissimilar_inside_margin is None


def test_to_dict_is_json_and_has_the_keys():
    result = evaluate_distances(*OVERLAP, margin=1.0)
    data = json.loads(json.dumps(result.to_dict()))
    expected = {
        "n_pairs", "auc", "eer", "eer_threshold", "best_threshold", "best_accuracy", "threshold",
        "accuracy_at_threshold", "precision_at_threshold", "recall_at_threshold", "f1_at_threshold",
        "mean_distance_similar", "mean_distance_dissimilar", "dissimilar_inside_margin", "margin",
        "n_similar", "n_dissimilar", "confusion_matrix", "warnings",
    }  # fmt: skip
    assert expected <= set(data)
    assert "roc_fpr" not in data
    assert data["confusion_matrix"] == [[1, 1], [0, 2]]  # threshold 0.25: only 0.1 called similar
    assert data["dissimilar_inside_margin"] == 1.0


def test_roc_arrays_are_finite_distances():
    result = evaluate_distances(*OVERLAP)
    assert isinstance(result, EvalResult)
    assert np.all(np.isfinite(result.roc_thresholds))
    assert result.roc_fpr[0] == 0 and result.roc_tpr[-1] == 1
    # The first point calls nothing similar, so its threshold is below the smallest distance.
    assert result.roc_thresholds[0] < 0.1
    assert len(result.roc_fpr) == len(result.roc_tpr) == len(result.roc_thresholds)


def test_all_distances_equal():
    """All at 0.5, 3 similar and 1 dissimilar: no threshold separates anything.

    AUC 0.5 (every couple is a tie). Calling all similar is right 3/4 of the time, calling none 1/4,
    so best accuracy 0.75 with a threshold above 0.5. ROC goes straight from (0, 0) to (1, 1), crossing
    fpr = fnr at 1/2.
    """
    result = evaluate_distances([0.5] * 4, [0, 0, 0, 1])
    assert result.auc == pytest.approx(0.5)
    assert result.best_accuracy == pytest.approx(0.75)
    assert result.best_threshold > 0.5
    assert result.eer == pytest.approx(0.5)
    assert np.all(np.isfinite(result.roc_thresholds))


def test_ties_across_classes():
    """Distances [0.2, 0.2, 0.6, 0.6] with labels S D S D: the tie means no threshold can split a pair.

    Candidates call 0, 2 or 4 pairs similar, each with accuracy 1/2. AUC: (0.2 S, 0.2 D) tie = 1/2,
    (0.2 S, 0.6 D) = 1, (0.6 S, 0.2 D) = 0, (0.6 S, 0.6 D) = 1/2 -> 2/4 = 0.5.
    """
    accuracy, threshold = best_accuracy_threshold([0.2, 0.2, 0.6, 0.6], [0, 1, 0, 1])
    assert accuracy == pytest.approx(0.5)
    assert threshold < 0.2  # the smallest of the equally good thresholds
    assert evaluate_distances([0.2, 0.2, 0.6, 0.6], [0, 1, 0, 1]).auc == pytest.approx(0.5)


def _brute_force_best(distances, labels):
    distinct = np.unique(distances)
    candidates = [distinct[0] - 1.0] + [(a + b) / 2 for a, b in itertools.pairwise(distinct)]
    candidates.append(distinct[-1] + 1.0)
    return max(metrics_at_threshold(distances, labels, t).accuracy for t in candidates)


def test_best_accuracy_threshold_matches_brute_force():
    """On seeded random sets (with rounding to force ties) the vectorised search finds the same best
    accuracy as trying every candidate threshold, and its threshold really gives that accuracy."""
    rng = np.random.default_rng(7)
    for trial in range(60):
        n = int(rng.integers(1, 40))
        labels = rng.integers(0, 2, n)
        distances = np.round(rng.gamma(2.0, 0.5, n) + 0.3 * labels, 1 if trial % 2 else 3)
        accuracy, threshold = best_accuracy_threshold(distances, labels)
        assert accuracy == pytest.approx(_brute_force_best(distances, labels))
        assert metrics_at_threshold(distances, labels, threshold).accuracy == pytest.approx(accuracy)


def test_best_threshold_all_dissimilar_side():
    """Similar at 0.9, dissimilar at 0.1 and 0.2: calling nothing similar is right 2/3 of the time,
    better than any other cut (calling 0.1 similar: 1/3, 0.1 and 0.2: 0, all: 1/3). The threshold
    lies half the first gap (0.1) below the smallest distance: 0.05."""
    accuracy, threshold = best_accuracy_threshold([0.9, 0.1, 0.2], [0, 1, 1])
    assert accuracy == pytest.approx(2 / 3)
    assert threshold == pytest.approx(0.05)


def test_inverted_labels_warning():
    """Similar pairs at 0.8, 0.9 and dissimilar at 0.1, 0.2 look like labels the other way round."""
    message = inverted_labels_warning([0.8, 0.9, 0.1, 0.2], [0, 0, 1, 1])
    assert message is not None
    assert "inverted" in message
    assert "--similar-label" in message and "similar_label" in message
    assert inverted_labels_warning(*SEPARATED) is None
    assert inverted_labels_warning([0.1], [0]) is None
    result = evaluate_distances([0.8, 0.9, 0.1, 0.2], [0, 0, 1, 1])
    assert result.warnings == [message]
    assert result.auc == 0.0


def test_hardest_pairs_order():
    """Similar at 0.1, 0.7, 0.4 and dissimilar at 0.3, 0.9, 0.2 (indices 0..5).

    Far similar pairs, largest first: 0.7 (index 1), 0.4 (index 2); close dissimilar pairs, smallest
    first: 0.2 (index 5), 0.3 (index 3).
    """
    distances = [0.1, 0.7, 0.4, 0.3, 0.9, 0.2]
    labels = [0, 0, 0, 1, 1, 1]
    table = hardest_pairs(distances, labels, k=2)
    assert list(table.columns) == ["kind", "row", "distance", "label"]
    assert table["kind"].tolist() == [SIMILAR_FAR, SIMILAR_FAR, DISSIMILAR_CLOSE, DISSIMILAR_CLOSE]
    assert table["row"].tolist() == [1, 2, 5, 3]
    assert table["distance"].tolist() == pytest.approx([0.7, 0.4, 0.2, 0.3])
    assert table["label"].tolist() == [0, 0, 1, 1]
    with_rows = hardest_pairs(distances, labels, k=1, rows=[11, 12, 13, 14, 15, 16])
    assert with_rows["row"].tolist() == [12, 16]
    assert len(hardest_pairs(distances, labels, k=10)) == 6


@pytest.mark.parametrize(
    ("distances", "labels", "words"),
    [
        ([], [], "at least one pair"),
        ([0.1, 0.2], [0], "same length"),
        ([0.1, math.nan], [0, 1], "not finite"),
        ([0.1, math.inf], [0, 1], "not finite"),
        ([0.1, 0.2], [0, 2], "0 (similar) or 1 (dissimilar)"),
    ],
)
def test_bad_input_errors(distances, labels, words):
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(")", r"\)")):
        evaluate_distances(distances, labels)


def test_single_class_error_says_how_many():
    with pytest.raises(DataError) as caught:
        evaluate_distances([0.1, 0.2, 0.3], [0, 0, 0])
    message = str(caught.value)
    assert "needs both similar and dissimilar pairs" in message
    assert "3 similar and 0 dissimilar" in message
    with pytest.raises(DataError, match="0 similar and 2 dissimilar"):
        equal_error_rate([0.1, 0.2], [1, 1])


def test_bad_settings():
    with pytest.raises(ConfigError, match="margin must be > 0"):
        evaluate_distances(*SEPARATED, margin=-1)
    with pytest.raises(ConfigError, match="threshold must be finite"):
        evaluate_distances(*SEPARATED, threshold=math.nan)
    with pytest.raises(ConfigError, match="k must be"):
        hardest_pairs(*SEPARATED, k=-1)
    with pytest.raises(DataError, match="rows must have one entry per pair"):
        hardest_pairs(*SEPARATED, rows=[1, 2])


def test_check_threshold_is_the_one_check_of_a_threshold():
    assert check_threshold("0.5") == 0.5 and check_threshold(np.float32(2)) == 2.0
    with pytest.raises(ConfigError) as caught:
        check_threshold(math.inf)
    assert str(caught.value) == "threshold must be finite. Received: threshold=inf"
    with pytest.raises(ConfigError) as caught:
        check_threshold(None, name="margin")
    assert str(caught.value) == "margin must be a number. Received: margin=None"
