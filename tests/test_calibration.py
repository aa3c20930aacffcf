"""The calibrated probability of "similar" and its metrics, on inputs small enough to work out by hand.

Labels: Y = 0 similar, Y = 1 dissimilar; the outcome a probability of "similar" is scored against is 1
for a similar pair and 0 for a dissimilar one.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from siamese_core.calibration import (
    MAX_POINTS,
    RELIABILITY_COLUMNS,
    Calibration,
    brier_score,
    calibration_metrics,
    choose_method,
    expected_calibration_error,
    fit_calibration,
    fit_sigmoid,
    reliability_table,
    sigmoid_points,
)
from siamese_core.errors import DataError, ModelFileError
from siamese_core.evaluation import evaluate_distances

# Six pairs, nearest first: similar, similar, dissimilar, similar, dissimilar, dissimilar.
DISTANCES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
LABELS = [0, 0, 1, 0, 1, 1]


def test_isotonic_fit_by_hand():
    """The outcomes by distance are 1, 1, 0, 1, 0, 0. A non-increasing fit cannot rise from 0 (at 0.3) to
    1 (at 0.4), so pool-adjacent-violators pools those two into their mean 0.5: 1, 1, 0.5, 0.5, 0, 0,
    which is monotone and the least-squares fit. Between corner points it is linear (0.25 lies halfway
    from 1 to 0.5), and beyond the ends it keeps the end values."""
    calibration = fit_calibration(DISTANCES, LABELS, pairs="six pairs", method="isotonic")
    assert calibration.method == "isotonic" and calibration.coefficients == ()
    assert calibration.distances == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    assert calibration.probabilities == (1.0, 1.0, 0.5, 0.5, 0.0, 0.0)
    assert (calibration.n_pairs, calibration.pairs) == (6, "six pairs")
    np.testing.assert_allclose(
        calibration.p_similar([0.0, 0.1, 0.25, 0.35, 0.45, 0.6, 9.0]), [1, 1, 0.75, 0.5, 0.25, 0, 0]
    )
    assert calibration.describe() == "isotonic regression of similar on the distance, fitted on 6 six pairs"


def test_p_similar_equals_scikit_learns_predictions():
    """On the fitted pairs and far outside them: the stored corner points reproduce the fitted model."""
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(3)
    labels = (rng.random(2_000) < 0.5).astype(np.float64)
    distances = np.where(labels == 0, rng.normal(0.4, 0.2, 2_000), rng.normal(0.9, 0.3, 2_000))
    distances = distances.astype(np.float32)  # as a model gives them
    calibration = fit_calibration(distances, labels, pairs="validation pairs", method="isotonic")
    model = IsotonicRegression(increasing=False, out_of_bounds="clip", y_min=0, y_max=1)
    model.fit(distances.astype(np.float64), (labels == 0).astype(np.float64))
    grid = np.linspace(-1, 3, 4_001)
    for values in (distances, grid):
        np.testing.assert_array_equal(calibration.p_similar(values), model.predict(np.float64(values)))
    assert 2 < len(calibration.distances) < 2_000  # a step function: far fewer points than pairs


def test_p_similar_keeps_the_shape_and_leaves_a_missing_distance_missing():
    calibration = fit_calibration(DISTANCES, LABELS, pairs="six pairs", method="isotonic")
    assert calibration.p_similar(0.35).shape == ()
    np.testing.assert_array_equal(calibration.p_similar([[0.1, np.nan]]), [[1.0, np.nan]])


def test_a_calibration_needs_both_classes_and_clean_inputs():
    with pytest.raises(
        DataError, match="needs both similar and dissimilar pairs; these have 3 similar and 0"
    ):
        fit_calibration([0.1, 0.2, 0.3], [0, 0, 0], pairs="x")
    with pytest.raises(DataError, match="received 2 distances and 3 labels"):
        fit_calibration([0.1, 0.2], [0, 1, 0], pairs="x")
    with pytest.raises(DataError, match="1 distances are not finite"):
        fit_calibration([0.1, np.nan], [0, 1], pairs="x")
    with pytest.raises(DataError, match="labels must be 0"):
        fit_calibration([0.1, 0.2], [0, 2], pairs="x")


def test_too_many_corner_points_are_thinned_keeping_both_ends():
    """Outcomes 1, 0, 1, 0, ... pool into blocks; with at most 3 points kept, the first, the middle and
    the last corner point remain, still non-increasing."""
    rng = np.random.default_rng(0)
    distances = np.sort(rng.random(400))
    labels = (rng.random(400) < distances).astype(np.float64)  # likelier dissimilar when far
    full = fit_calibration(distances, labels, pairs="x", method="isotonic")
    thinned = fit_calibration(distances, labels, pairs="x", method="isotonic", max_points=3)
    middle = (len(full.distances) - 1) / 2
    assert thinned.distances == (full.distances[0], full.distances[round(middle)], full.distances[-1])
    assert thinned.probabilities[0] >= thinned.probabilities[1] >= thinned.probabilities[2]
    assert Calibration.from_dict(thinned.to_dict(), "m.keras") == thinned


def test_round_trip_through_json():
    calibration = fit_calibration(DISTANCES, LABELS, pairs="validation pairs", method="isotonic")
    data = json.loads(json.dumps(calibration.to_dict()))
    assert data == {
        "method": "isotonic",
        "distances": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "probabilities": [1.0, 1.0, 0.5, 0.5, 0.0, 0.0],
        "n_pairs": 6,
        "pairs": "validation pairs",
    }
    assert Calibration.from_dict(data, "m.keras") == calibration
    del data["method"]  # a file written before there was a choice of method: isotonic regression
    assert Calibration.from_dict(data, "m.keras") == calibration


def test_platt_scaling_by_hand():
    """One similar pair at distance 0 and one dissimilar at 1. Platt's softened outcomes are (1 + 1) / (1 +
    2) = 2/3 and 1 / (1 + 2) = 1/3, which two coefficients fit exactly: 1 / (1 + exp(-a)) = 2/3 gives
    a = ln 2, and a + b = -ln 2 gives b = -2 ln 2."""
    a, b = fit_sigmoid([0.0, 1.0], [0, 1])
    assert a == pytest.approx(math.log(2), abs=1e-9)
    assert b == pytest.approx(-2 * math.log(2), abs=1e-9)


def test_a_sigmoid_of_the_six_pairs_crosses_one_half_at_their_middle():
    """The six pairs read backwards with similar and dissimilar swapped are the same pairs mirrored about
    0.35 (outcomes 1, 1, 0, 1, 0, 0 at 0.1 to 0.6), so the best sigmoid is symmetric about 0.35:
    a + 0.35 b = 0, P(similar) = 1/2 there, and p(0.35 - x) = 1 - p(0.35 + x)."""
    calibration = fit_calibration(DISTANCES, LABELS, pairs="six pairs", method="sigmoid")
    a, b = calibration.coefficients
    assert calibration.method == "sigmoid" and b < 0
    assert a + 0.35 * b == pytest.approx(0.0, abs=1e-9)
    low, middle, high = calibration.p_similar([0.1, 0.35, 0.6])
    assert middle == pytest.approx(0.5, abs=1e-4)
    assert low + high == pytest.approx(1.0, abs=1e-4)
    assert low == pytest.approx(1 / (1 + math.exp(-(a + 0.1 * b))), abs=5e-5)
    assert calibration.describe() == (
        "a sigmoid of the distance (Platt scaling) for similar, fitted on 6 six pairs"
    )


def test_a_sigmoid_is_read_from_its_corner_points_within_5e_5_of_the_curve():
    """The corner points run from where the curve leaves 1 - 1e-6 to where it reaches 1e-6; linear between
    them it stays within 5e-5 of the curve, and within 1e-6 of it beyond them."""
    for a, b in ((2.0, -5.0), (30.0, -400.0), (-3.0, -0.01)):
        calibration = Calibration.sigmoid(a, b, 10, "x")
        grid = np.linspace(0, 2 * calibration.distances[-1], 20_001)
        curve = 1 / (1 + np.exp(-(a + b * grid)))
        assert np.abs(calibration.p_similar(grid) - curve).max() < 5e-5
        assert calibration.probabilities[-1] == pytest.approx(1e-6)
    assert Calibration.sigmoid(30.0, -400.0, 10, "x").probabilities[0] == pytest.approx(1 - 1e-6)
    flat = Calibration.sigmoid(0.5, 0.0, 10, "x")  # slope 0: one point, the same probability everywhere
    assert flat.distances == (0.0,)
    np.testing.assert_allclose(flat.p_similar([0, 7]), 1 / (1 + math.exp(-0.5)))
    distances, probabilities = sigmoid_points(-20.0, -1.0)  # below 1e-6 from distance 0 on
    assert distances.tolist() == [0.0] and probabilities[0] < 1e-6


def test_a_slope_above_0_becomes_the_flat_curve_of_the_share_similar():
    """Farther pairs likelier similar (a model no better than chance, backwards): slope 0, and the
    softened share of similar pairs: (1 + 1) / (1 + 2) = 2/3 for the one similar pair and 1 / (2 + 2) =
    1/4 for each of the two dissimilar ones, mean (2/3 + 1/4 + 1/4) / 3 = 7/18."""
    a, b = fit_sigmoid([0.1, 0.5, 0.9], [1, 1, 0])
    assert b == 0.0
    assert 1 / (1 + math.exp(-a)) == pytest.approx(7 / 18)


def test_a_sigmoid_round_trips_through_json_as_its_two_coefficients():
    calibration = fit_calibration(DISTANCES, LABELS, pairs="validation pairs", method="sigmoid")
    data = json.loads(json.dumps(calibration.to_dict()))
    assert data == {
        "method": "sigmoid",
        "coefficients": list(calibration.coefficients),
        "n_pairs": 6,
        "pairs": "validation pairs",
    }
    assert Calibration.from_dict(data, "m.keras") == calibration


def test_the_method_is_chosen_by_cross_validated_brier_score():
    """200 pairs from two overlapping normal distributions of equal spread (their P(similar) is a
    sigmoid): isotonic regression's steps follow the noise of so few, and the sigmoid scores better out of
    fold (on each of 20 seeds tried); many pairs whose P(similar) is a staircase no sigmoid can
    follow: isotonic regression. With fewer than 2 pairs of a class: the sigmoid."""
    rng = np.random.default_rng(0)
    labels = (rng.random(200) < 0.5).astype(np.float64)
    distances = np.where(labels == 0, rng.normal(0.4, 0.2, 200), rng.normal(0.8, 0.2, 200))
    assert choose_method(distances, labels) == "sigmoid"
    assert fit_calibration(distances, labels, pairs="x").method == "sigmoid"
    distances = rng.random(20_000)
    p_similar = np.where(distances < 0.5, 0.9, 0.1)  # one sharp step at 0.5
    labels = (rng.random(20_000) >= p_similar).astype(np.float64)
    assert choose_method(distances, labels) == "isotonic"
    assert fit_calibration(distances, labels, pairs="x").method == "isotonic"
    assert choose_method([0.1, 0.2, 0.3, 0.9], [0, 1, 1, 1]) == "sigmoid"


def test_an_unknown_method_is_a_bug():
    with pytest.raises(ValueError, match="method must be 'auto', 'isotonic' or 'sigmoid'"):
        fit_calibration(DISTANCES, LABELS, pairs="x", method="platt")


GOOD = {"distances": [0.1, 0.5], "probabilities": [0.9, 0.2], "n_pairs": 10, "pairs": "validation pairs"}
WRONG = [
    ("the whole", [1, 2], "calibration is [1, 2], where an object is expected"),
    ("method", "platt", 'calibration method is "platt", where "isotonic" or "sigmoid" is expected'),
    ("distances", "0.1", 'calibration distances is "0.1", where a list of 1 to 10,000 numbers is expected'),
    ("distances", [], "calibration distances is [], where a list of 1 to 10,000 numbers is expected"),
    ("distances", [0.1, True], "calibration distances is [0.1, true], where a list of finite numbers"),
    ("distances", [0.1, "0.5"], 'calibration distances is [0.1, "0.5"], where a list of finite numbers'),
    ("distances", [0.1, math.inf], "calibration distances is [0.1, Infinity], where a list of finite"),
    ("distances", [0.1, 10**400], "calibration distances is [0.1, 1000000"),  # too large for a float
    ("distances", [0.5, 0.1], "calibration distances is [0.5, 0.1], where a non-decreasing list"),
    ("probabilities", [math.nan, 0.2], "calibration probabilities is [NaN, 0.2], where a list of finite"),
    ("probabilities", [1.5, 0.2], "calibration probabilities is [1.5, 0.2], where probabilities from 0 to 1"),
    ("probabilities", [0.9, -0.1], "calibration probabilities is [0.9, -0.1], where probabilities from 0 to"),
    ("probabilities", [0.2, 0.9], "calibration probabilities is [0.2, 0.9], where a non-increasing list"),
    ("probabilities", [0.9], "calibration has 2 distances and 1 probabilities, where each distance has its"),
    ("n_pairs", 1, "calibration n_pairs is 1, where a whole number of at least 2 pairs is expected"),
    ("n_pairs", 10.0, "calibration n_pairs is 10.0, where a whole number of at least 2 pairs"),
    ("n_pairs", True, "calibration n_pairs is true, where a whole number of at least 2 pairs"),
    ("pairs", None, "calibration pairs is null, where a text of 1 to 200 characters is expected"),
    ("pairs", "", 'calibration pairs is "", where a text of 1 to 200 characters is expected'),
]


SIGMOID = {"method": "sigmoid", "coefficients": [2.0, -5.0], "n_pairs": 10, "pairs": "validation pairs"}
WRONG_SIGMOID = [
    ("coefficients", None, "calibration coefficients is null, where a list of 2 numbers (intercept, slope)"),
    (
        "coefficients",
        [2.0],
        "calibration coefficients is [2.0], where a list of 2 numbers (intercept, slope)",
    ),
    ("coefficients", [2.0, -5.0, 1.0], "calibration coefficients is [2.0, -5.0, 1.0], where a list of 2"),
    ("coefficients", [2.0, math.nan], "calibration coefficients is [2.0, NaN], where a list of 2 finite"),
    ("coefficients", ["2", -5.0], 'calibration coefficients is ["2", -5.0], where a list of 2 finite'),
    ("coefficients", [2.0, False], "calibration coefficients is [2.0, false], where a list of 2 finite"),
    ("coefficients", [2.0, 5.0], "calibration coefficients is [2.0, 5.0], where a slope of at most 0"),
    ("coefficients", [2.0, -1e-320], "calibration coefficients is [2.0, -1e-320], where a slope of 0 or"),
    ("n_pairs", 0, "calibration n_pairs is 0, where a whole number of at least 2 pairs is expected"),
    ("pairs", "x" * 201, 'calibration pairs is "xxxxx'),
]
WRONG += [(key, value, expected, SIGMOID) for key, value, expected in WRONG_SIGMOID]
WRONG = [row if len(row) == 4 else (*row, GOOD) for row in WRONG]


@pytest.mark.parametrize(
    ("key", "value", "expected", "good"), WRONG, ids=[f"{row[0]}={row[1]!r}"[:40] for row in WRONG]
)
def test_a_hostile_calibration_is_refused_naming_the_file_and_the_value(key, value, expected, good):
    data = value if key == "the whole" else {**good, key: value}
    with pytest.raises(ModelFileError) as refused:
        Calibration.from_dict(data, "bad.keras")
    message = str(refused.value)
    assert message.startswith(f"bad.keras: refused: its {expected}"), message
    assert message.endswith("the file is damaged or not from siamese_core")


def test_a_calibration_of_more_points_than_a_file_may_hold_is_refused_unused():
    many = {**GOOD, "distances": [0.1] * (MAX_POINTS + 1), "probabilities": [0.5] * (MAX_POINTS + 1)}
    with pytest.raises(ModelFileError, match="where a list of 1 to 10,000 numbers is expected"):
        Calibration.from_dict(many, "bad.keras")
    most = {**GOOD, "distances": [0.1] * MAX_POINTS, "probabilities": [0.5] * MAX_POINTS}
    assert len(Calibration.from_dict(most, "ok.keras").distances) == MAX_POINTS


def test_brier_score_by_hand():
    """p = 0.9, 0.2, 0.6 for a similar and two dissimilar pairs (outcomes 1, 0, 0):
    ((0.9 - 1)^2 + 0.2^2 + 0.6^2) / 3 = (0.01 + 0.04 + 0.36) / 3 = 0.41 / 3."""
    assert brier_score([0.9, 0.2, 0.6], [0, 1, 1]) == pytest.approx(0.41 / 3)
    assert brier_score([0.5, 0.5], [0, 1]) == pytest.approx(0.25)
    assert brier_score([1.0, 0.0], [0, 1]) == 0.0


# p = 0.05 (dissimilar), 0.15 (similar), 0.12 (dissimilar), 0.95 (similar), 1.0 (similar).
P_SIMILAR = [0.05, 0.15, 0.12, 0.95, 1.0]
P_LABELS = [1, 0, 1, 0, 0]


def test_reliability_table_by_hand():
    """Bins of width 0.1: 0.05 falls in [0, 0.1); 0.15 and 0.12 in [0.1, 0.2), mean 0.135, one of the two
    similar; 0.95 and 1.0 (the last bin holds 1) in [0.9, 1], mean 0.975, both similar."""
    table = reliability_table(P_SIMILAR, P_LABELS)
    expected = pd.DataFrame(
        {
            "bin_low": [0.0, 0.1, 0.9],
            "bin_high": [0.1, 0.2, 1.0],
            "mean_predicted": [0.05, 0.135, 0.975],
            "observed_similar": [0.0, 0.5, 1.0],
            "pairs": np.array([1, 2, 2], dtype=np.int64),
        }
    )
    assert list(table.columns) == list(RELIABILITY_COLUMNS)
    pd.testing.assert_frame_equal(table, expected)


def test_expected_calibration_error_by_hand():
    """The gaps of the three bins above, |0.05 - 0| = 0.05, |0.135 - 0.5| = 0.365, |0.975 - 1| = 0.025,
    weighted by their 1, 2 and 2 pairs of 5: (0.05 + 0.73 + 0.05) / 5 = 0.166."""
    assert expected_calibration_error(P_SIMILAR, P_LABELS) == pytest.approx(0.166)
    # Two bins of the whole [0, 1]: 0.05, 0.15, 0.12 below 0.5 (mean 0.10667, 1 of 3 similar), 0.95 and 1.0
    # above (mean 0.975, 2 of 2): (3 * |0.10667 - 0.33333| + 2 * 0.025) / 5 = (0.68 + 0.05) / 5.
    assert expected_calibration_error(P_SIMILAR, P_LABELS, bins=2) == pytest.approx(0.146)


def test_a_probability_on_a_bin_edge_goes_to_the_bin_above_it():
    """k / 10 belongs to bin k (k / 10 <= p < (k + 1) / 10), whatever the rounding of k / 10 * 10; 1 to
    the last bin."""
    edges = [k / 10 for k in range(11)]
    table = reliability_table(edges, [0] * 11)
    assert table["bin_low"].tolist() == [k / 10 for k in range(10)]
    assert table["pairs"].tolist() == [1] * 9 + [2]


def test_perfect_and_constant_probabilities():
    """Right and sure: no error. Always 0.5 on one similar and one dissimilar pair: the bin's mean 0.5
    equals the share similar, so no calibration error, while the Brier score is 0.25."""
    assert calibration_metrics([1.0, 0.0], [0, 1]).ece == 0.0
    metrics = calibration_metrics([0.5, 0.5], [0, 1])
    assert (metrics.ece, metrics.brier) == (0.0, 0.25)


def test_probabilities_must_be_probabilities():
    with pytest.raises(DataError, match="probabilities must be from 0 to 1"):
        brier_score([0.5, 1.2], [0, 1])
    with pytest.raises(DataError, match="1 probabilities are not finite"):
        expected_calibration_error([0.5, np.nan], [0, 1])
    with pytest.raises(DataError, match="received 0 probabilities and 0 labels"):
        reliability_table([], [])


def test_metrics_to_dict_are_plain_json_values():
    data = calibration_metrics(P_SIMILAR, P_LABELS).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["brier_score"] == pytest.approx((0.05**2 + 0.85**2 + 0.12**2 + 0.05**2 + 0) / 5)
    assert data["expected_calibration_error"] == pytest.approx(0.166)
    assert data["calibration_bins"] == 10
    assert data["reliability"][1] == {
        "bin_low": 0.1,
        "bin_high": 0.2,
        "mean_predicted": pytest.approx(0.135),
        "observed_similar": 0.5,
        "pairs": 2,
    }


def test_evaluation_carries_the_calibration_metrics_of_the_models_probabilities():
    """`evaluate_distances(calibration=...)` measures the calibration's p_similar of these distances: here
    the six pairs it was fitted on, whose probabilities are 1, 1, 0.5, 0.5, 0, 0 (outcomes 1, 1, 0, 1, 0,
    0): Brier (0 + 0 + 0.25 + 0.25 + 0 + 0) / 6 = 1/12; bins [0, 0.1) (two at 0, both dissimilar),
    [0.5, 0.6) (two at 0.5, one similar), [0.9, 1] (two at 1, both similar): no gap, ECE 0."""
    calibration = fit_calibration(DISTANCES, LABELS, pairs="six pairs", method="isotonic")
    result = evaluate_distances(DISTANCES, LABELS, calibration=calibration)
    assert result.calibration.brier == pytest.approx(1 / 12)
    assert result.calibration.ece == pytest.approx(0.0)
    assert result.calibration.reliability["pairs"].tolist() == [2, 2, 2]
    summary = result.to_dict()
    assert summary["brier_score"] == pytest.approx(1 / 12)
    assert summary["expected_calibration_error"] == pytest.approx(0.0)
    assert [row["pairs"] for row in summary["reliability"]] == [2, 2, 2]
    plain = evaluate_distances(DISTANCES, LABELS).to_dict()
    assert plain["brier_score"] is None and plain["expected_calibration_error"] is None
    assert "reliability" not in plain
