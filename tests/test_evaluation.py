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
    threshold_cuts,
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
    assert "say which value means similar when loading it" in message  # in words true in every interface
    assert "--similar-label" not in message and "similar_label" not in message
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


# --------------------------------------------------------------------------------------------------
# Cases added for mutation testing (tools/mutation.py): each pins a line that a one-token change
# would otherwise get past.
# --------------------------------------------------------------------------------------------------


def test_thresholds_above_all_distances_are_half_a_gap_beyond():
    """All similar: the best threshold calls every pair similar, so it is the one above the largest.

    [1, 3]: the top gap is 3 - 1 = 2, so 3 + 2/2 = 4.
    [2] alone: no gap; half the distance itself stands in: 2 + 2/2 = 3.
    [0] alone: no gap and no size; 0.5 stands in.
    """
    assert best_accuracy_threshold([1.0, 3.0], [0, 0]) == (1.0, 4.0)
    assert best_accuracy_threshold([2.0], [0]) == (1.0, 3.0)
    assert best_accuracy_threshold([0.0], [0]) == (1.0, 0.5)


# Sorted: 1 S, 2 S, 3 D, 4 D, 10 D, 11 D, 12 S (3 similar, 4 dissimilar; S similar, D dissimilar).
UNEVEN = ([1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0], [0, 0, 1, 1, 1, 1, 0])


def test_eer_uses_every_roc_point_and_the_summary_roc_drops_the_collinear_ones():
    """UNEVEN: after 1 and 2 the false negative rate stays 1/3 while the false positive rate climbs
    0 (at 2), 1/4 (at 3), 1/2 (at 4), 3/4 (at 10), 1 (at 11). The rates cross at fpr = 1/3, a third of
    the way from the point at 3 to the point at 4: EER = 1/4 + 1/3 * 1/4 = 1/3, threshold 3 + 1/3.
    Interpolating over the collinear points instead (from 2 to 11) would give 2 + 1/3 * 9 = 5.

    The ROC curve shown keeps only the corners: (0, 0) below 1, (0, 1/3) at 1, (0, 2/3) at 2,
    (1, 2/3) at 11 and (1, 1) at 12; the first threshold sits half the lowest gap below 1: 0.5.
    """
    eer, threshold = equal_error_rate(*UNEVEN)
    assert eer == pytest.approx(1 / 3)
    assert threshold == pytest.approx(3 + 1 / 3)
    result = evaluate_distances(*UNEVEN)
    assert result.eer_threshold == pytest.approx(3 + 1 / 3)
    np.testing.assert_allclose(result.roc_fpr, [0, 0, 0, 1, 1])
    np.testing.assert_allclose(result.roc_tpr, [0, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(result.roc_thresholds, [0.5, 1, 2, 11, 12])


def test_inputs_of_other_types_and_shapes_read_as_float_vectors():
    """Text numbers, unsigned integers (negating them would wrap around) and (n, 1) columns all give
    the numbers of the plain float lists. OVERLAP: AUC 0.75, best threshold 0.25 (see above)."""
    as_text = evaluate_distances([str(d) for d in OVERLAP[0]], [str(y) for y in OVERLAP[1]])
    assert as_text.auc == pytest.approx(0.75) and as_text.best_threshold == pytest.approx(0.25)
    # Sorted 1 S, 3 D, 4 S, 9 D: the same order as OVERLAP, so the same AUC 0.75; best threshold 2.
    unsigned = evaluate_distances(np.array([1, 4, 3, 9], dtype=np.uint8), [0, 0, 1, 1])
    assert unsigned.auc == pytest.approx(0.75) and unsigned.best_threshold == pytest.approx(2.0)
    column = metrics_at_threshold(
        np.array([[0.1], [0.5], [0.4], [0.9]]), np.array([[0], [0], [1], [1]]), 0.45
    )
    # At 0.45: 0.1 S and 0.4 D called similar; 0.5 S and 0.9 D dissimilar.
    assert (column.tp, column.fp, column.tn, column.fn) == (1, 1, 1, 1)
    table = hardest_pairs([0.1, 0.7], [0, 1], k=1, rows=np.array([[5], [6]]))
    assert table["row"].tolist() == [5, 6]


def test_input_error_messages_in_full():
    def message(distances, labels):
        with pytest.raises(DataError) as caught:
            metrics_at_threshold(distances, labels, 0.5)
        return str(caught.value)

    assert message([], [0]) == "evaluation needs at least one pair; received 0 distances and 1 labels"
    assert message([0.1, math.nan, math.inf], [0, 1, 1]) == (
        "2 distances are not finite (NaN or infinite), the first at pair index 1 (nan); check the model "
        "and the features for NaN or huge values"
    )
    # Six wrong labels: the first five distinct values are named, sorted.
    assert message([0.1] * 7, [7, 6, 5, 4, 3, 2, 0]) == (
        "labels must be 0 (similar) or 1 (dissimilar); found 2.0, 3.0, 4.0, 5.0, 6.0. Map the label column first"
    )
    with pytest.raises(DataError) as caught:
        evaluate_distances([0.1, 0.2], [0, 0])
    assert str(caught.value) == (
        "evaluation needs both similar and dissimilar pairs; this set has 2 similar and 0 dissimilar"
    )


def test_auc_needs_both_classes_but_hardest_pairs_and_metrics_do_not():
    from siamese_core.evaluation import roc_auc

    with pytest.raises(DataError, match="needs both similar and dissimilar pairs"):
        roc_auc([0.1, 0.2], [1, 1])
    assert hardest_pairs([0.1, 0.2], [0, 0], k=1)["row"].tolist() == [1]
    assert inverted_labels_warning([0.1, 0.2], [0, 0]) is None
    # No similar pair: recall, like precision, is 0 by the zero-division rule, not 1.
    none_similar = metrics_at_threshold([1.0, 2.0], [1, 1], 5.0)
    assert (none_similar.precision, none_similar.recall, none_similar.f1) == (0.0, 0.0, 0.0)


def test_margin_checks_and_the_share_strictly_inside_it():
    """Dissimilar at 0.8 and 0.9 with m = 0.9: only 0.8 is inside (D < m), a share of 1/2."""
    assert evaluate_distances(*SEPARATED, margin=0.9).dissimilar_inside_margin == 0.5
    with pytest.raises(ConfigError) as caught:
        evaluate_distances(*SEPARATED, margin="wide")
    assert str(caught.value) == "margin must be a number. Received: margin='wide'"
    with pytest.raises(ConfigError) as caught:
        evaluate_distances(*SEPARATED, margin=0)
    assert str(caught.value) == "margin must be > 0. Received: margin=0.0"


def test_hardest_pairs_default_k_ties_in_input_order_and_k_checks():
    """Twenty similar pairs at distances 0, 1 or 2 (many ties): the far ones come largest first and,
    among equal distances, in input order (a stable sort; numpy's default sort is not stable here)."""
    distances = [float(v) for v in np.random.default_rng(0).integers(0, 3, 20)]
    expected = sorted(range(20), key=lambda i: (-distances[i], i))
    table = hardest_pairs(distances + distances, [0] * 20 + [1] * 20, k=20)
    assert table["row"].tolist()[:20] == expected
    assert table["row"].tolist()[20:] == sorted(range(20, 40), key=lambda i: (distances[i - 20], i))
    assert table["label"].dtype == np.int64
    assert len(hardest_pairs(distances, [0] * 20)) == 10  # k defaults to 10
    assert hardest_pairs(distances, [0] * 20, k=0).empty
    for bad in (1.5, True):
        with pytest.raises(ConfigError) as caught:
            hardest_pairs(distances, [0] * 20, k=bad)
        assert str(caught.value) == f"k must be a non-negative integer. Received: k={bad!r}"


def test_inverted_labels_warning_in_full_and_not_at_equal_means():
    assert inverted_labels_warning([1.0, 1.0], [0, 1]) is None
    assert inverted_labels_warning([2.0, 1.0], [0, 1]) == (
        "Similar pairs (label 0) are farther apart on average (mean distance 2) than dissimilar pairs "
        "(label 1, mean distance 1): the labels are probably inverted. Here 0 must mean similar and 1 "
        "dissimilar; if your file uses another value for similar, say which value means similar when "
        "loading it, or flip the labels (1 - label)."
    )


def test_as_dict_and_to_dict_values():
    """OVERLAP at 0.45: 0.1 S and 0.4 D called similar: tp 1, fp 1, tn 1 (0.9), fn 1 (0.5)."""
    metrics = metrics_at_threshold(*OVERLAP, 0.45)
    assert metrics.as_dict() == {
        "threshold": 0.45, "accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5,
        "tp": 1, "fp": 1, "tn": 1, "fn": 1,
    }  # fmt: skip
    assert metrics.confusion_matrix().dtype == np.int64
    without = evaluate_distances(*OVERLAP).to_dict()
    assert without["margin"] is None and without["dissimilar_inside_margin"] is None
    with_margin = evaluate_distances(*OVERLAP, margin=0.5).to_dict()
    # Dissimilar at 0.4 and 0.9: one of two inside 0.5.
    assert with_margin["margin"] == 0.5 and with_margin["dissimilar_inside_margin"] == 0.5


def test_a_midpoint_rounding_onto_the_larger_distance_gives_way_to_the_smaller_one_anywhere():
    """a and b are adjacent floats just above 1, a's last bit odd: (a + b) / 2 rounds (half to even) onto b,
    so the cut between them takes a itself, which calls exactly the pairs up to a similar; the cut between
    0 and a keeps its midpoint."""
    a = float(np.nextafter(1.0, 2.0))
    b = float(np.nextafter(a, 2.0))
    assert (a + b) / 2 == b
    thresholds, tp, fp = threshold_cuts(np.array([0.0, a, b]), np.array([True, True, False]))
    assert thresholds[1:3].tolist() == [a / 2, a]
    assert (tp.tolist(), fp.tolist()) == ([0, 1, 2, 2], [0, 0, 0, 1])
