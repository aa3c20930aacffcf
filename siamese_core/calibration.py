"""A calibrated probability that a pair is similar, from its distance, and how well it is calibrated.

A distance says which pairs are more alike, not how likely a pair is to be similar. A calibration fitted
on held-out pairs turns it into one, by one of two methods (`fit_calibration`), the outcome being 1 for a
similar pair (Y = 0) and 0 for a dissimilar one (Y = 1):

- isotonic regression (scikit-learn's `IsotonicRegression`, Zadrozny & Elkan 2002): the non-increasing
  step function of the distance closest (in squared error) to the outcomes. It assumes no shape, so it
  needs many pairs: with a few hundred its steps follow the noise of those pairs (scikit-learn's
  calibration guide: isotonic regression over-fits below about 1,000 samples).
- a sigmoid (Platt scaling, Platt 1999): P(similar) = 1 / (1 + exp(-(a + b * distance))), b <= 0, two
  numbers fitted by maximum likelihood, which few pairs pin down well.

By default the one with the lower 5-fold cross-validated Brier score on the held-out pairs themselves is
fitted on all of them (`choose_method`): the sigmoid on small files, isotonic regression where there are
enough pairs for its steps (measured with bench/bench_calibration.py, see bench/README.md).

Either way the fitted function is kept as plain numbers (`Calibration`: corner points read between them
linearly; for a sigmoid, its two coefficients, from which the corner points are computed again on
loading), so a model file stores it as JSON and loads it under `safe_mode` with the rest, with no pickled
object.

How well probabilities are calibrated (`calibration_metrics`): the Brier score, the expected calibration
error and the reliability table, all over `RELIABILITY_BINS` equal-width bins of predicted probability.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siamese_core.errors import DataError, ModelFileError, shown

# The most corner points a calibration holds: a fitted one has a few hundred at most (about two per block
# of equal probability); a model file offering more is refused before anything is computed with it.
MAX_POINTS = 10_000
MAX_PAIRS_TEXT = 200  # characters of the description of the pairs it was fitted on
METHODS = ("isotonic", "sigmoid")
CHOICE_FOLDS = 5  # folds of the cross-validation that chooses the method (`choose_method`)
# A sigmoid is read, as isotonic regression is, linearly between corner points: this many, evenly over
# the distances (from 0) where P(similar) is between SIGMOID_FLOOR and 1 - SIGMOID_FLOOR, and constant
# beyond them (within SIGMOID_FLOOR of the curve there). Linear reading is within 5e-5 of the curve
# whatever its coefficients: a chord of the logistic curve 1 / (1 + exp(-(a + b d))) over a spacing h
# is off by at most h^2 b^2 / 83, and h |b| <= 2 * 13.9 / (SIGMOID_POINTS - 1).
SIGMOID_POINTS = 512
SIGMOID_FLOOR = 1e-6
RELIABILITY_BINS = 10
RELIABILITY_COLUMNS = ("bin_low", "bin_high", "mean_predicted", "observed_similar", "pairs")


@dataclass(frozen=True)
class Calibration:
    """P(similar | distance), non-increasing: isotonic regression's step function or a sigmoid.

    Attributes:
        distances: The corner points' distances, non-decreasing.
        probabilities: The probability of "similar" at each corner point, from 0 to 1, non-increasing.
        n_pairs: How many pairs it was fitted on.
        pairs: Which pairs, in words (such as "validation pairs of the selection model").
        method: "isotonic" (the corner points are the fit) or "sigmoid" (they are `sigmoid_points` of
            `coefficients`).
        coefficients: For a sigmoid, (a, b) of P(similar) = 1 / (1 + exp(-(a + b * distance))), b <= 0;
            empty for isotonic regression.
    """

    distances: tuple[float, ...]
    probabilities: tuple[float, ...]
    n_pairs: int
    pairs: str
    method: str = "isotonic"
    coefficients: tuple[float, ...] = ()

    def p_similar(self, distances) -> np.ndarray:
        """The probability that pairs at these distances are similar.

        Linear between the corner points and constant beyond the first and the last (isotonic regression's
        `predict` with `out_of_bounds="clip"`, which these numbers reproduce; for a sigmoid, within 5e-5 of
        its curve). A NaN distance (a pair left unscored) gives NaN.

        Args:
            distances: Distances, any shape.

        Returns:
            float64 probabilities, of the same shape.
        """
        distances = np.asarray(distances, dtype=np.float64)
        return np.interp(distances, self.distances, self.probabilities)

    def describe(self) -> str:
        """Where it comes from, in words: "isotonic regression on 1,234 validation pairs of ..."."""
        if self.method == "sigmoid":
            return f"a sigmoid of the distance (Platt scaling) for similar, fitted on {self.n_pairs:,} {self.pairs}"
        return f"isotonic regression of similar on the distance, fitted on {self.n_pairs:,} {self.pairs}"

    def to_dict(self) -> dict:
        """Plain JSON values: the method, the count and the pairs; for isotonic regression the corner points
        as two lists of floats, for a sigmoid its two coefficients (the corner points follow from them)."""
        if self.method == "sigmoid":
            fitted = {"coefficients": [float(value) for value in self.coefficients]}
        else:
            fitted = {
                "distances": [float(value) for value in self.distances],
                "probabilities": [float(value) for value in self.probabilities],
            }
        return {"method": self.method, **fitted, "n_pairs": int(self.n_pairs), "pairs": self.pairs}

    @classmethod
    def sigmoid(cls, intercept: float, slope: float, n_pairs: int, pairs: str) -> Calibration:
        """The sigmoid 1 / (1 + exp(-(intercept + slope * distance))) with its corner points
        (`sigmoid_points`)."""
        distances, probabilities = sigmoid_points(intercept, slope)
        return cls(
            tuple(distances.tolist()),
            tuple(probabilities.tolist()),
            int(n_pairs),
            str(pairs)[:MAX_PAIRS_TEXT],
            "sigmoid",
            (float(intercept), float(slope)),
        )

    @classmethod
    def from_dict(cls, data, name: str) -> Calibration:
        """A calibration read from a model file, each value checked: the file may come from anywhere.

        Args:
            data: What the file holds (parsed JSON), as `to_dict` writes it; without "method" (files
                written before there was a choice), isotonic regression.
            name: What messages call the file.

        Returns:
            The `Calibration`.

        Raises:
            ModelFileError: A method other than "isotonic" and "sigmoid"; for isotonic regression,
                anything but two lists of finite numbers of equal length (1 to `MAX_POINTS`), distances
                non-decreasing, probabilities from 0 to 1 and non-increasing; for a sigmoid, anything but
                two finite coefficients, the second (the slope) at most 0 and not so near 0 that the
                curve's corner points overflow; and in both, a whole number of pairs of at least 2 and a
                short text naming them. The message names the file and the value.
        """

        def wrong(key: str, expected: str) -> ModelFileError:
            value = data.get(key) if isinstance(data, dict) else data
            what = f"calibration {key}" if isinstance(data, dict) else "calibration"
            return ModelFileError(
                f"{name}: refused: its {what} is {shown(json.dumps(value))}, where {expected} is expected; "
                "the file is damaged or not from siamese_core"
            )

        if not isinstance(data, dict):
            raise wrong("", "an object")
        method = data.get("method", "isotonic")
        if method not in METHODS:
            raise wrong("method", '"isotonic" or "sigmoid"')
        n_pairs = data.get("n_pairs")
        if not isinstance(n_pairs, int) or isinstance(n_pairs, bool) or n_pairs < 2:
            raise wrong("n_pairs", "a whole number of at least 2 pairs")
        pairs = data.get("pairs")
        if not isinstance(pairs, str) or not 0 < len(pairs) <= MAX_PAIRS_TEXT:
            raise wrong("pairs", f"a text of 1 to {MAX_PAIRS_TEXT} characters")
        if method == "sigmoid":
            coefficients = data.get("coefficients")
            if not isinstance(coefficients, list) or len(coefficients) != 2:
                raise wrong("coefficients", "a list of 2 numbers (intercept, slope)")
            if not all(map(_finite_number, coefficients)):
                raise wrong("coefficients", "a list of 2 finite numbers")
            intercept, slope = (float(value) for value in coefficients)
            if slope > 0:
                raise wrong("coefficients", "a slope of at most 0 (nearer pairs are likelier similar)")
            with np.errstate(all="ignore"):
                distances, _ = sigmoid_points(intercept, slope)
            if not np.isfinite(distances).all():
                raise wrong("coefficients", "a slope of 0 or farther from 0")
            return cls.sigmoid(intercept, slope, n_pairs, pairs)
        points = {}
        for key in ("distances", "probabilities"):
            values = data.get(key)
            if not isinstance(values, list) or not 1 <= len(values) <= MAX_POINTS:
                raise wrong(key, f"a list of 1 to {MAX_POINTS:,} numbers")
            if not all(map(_finite_number, values)):
                raise wrong(key, "a list of finite numbers")
            points[key] = np.asarray(values, dtype=np.float64)
        distances, probabilities = points["distances"], points["probabilities"]
        if distances.size != probabilities.size:
            raise ModelFileError(
                f"{name}: refused: its calibration has {distances.size:,} distances and {probabilities.size:,} "
                "probabilities, where each distance has its probability; the file is damaged or not from "
                "siamese_core"
            )
        if (np.diff(distances) < 0).any():
            raise wrong("distances", "a non-decreasing list")
        if ((probabilities < 0) | (probabilities > 1)).any():
            raise wrong("probabilities", "probabilities from 0 to 1")
        if (np.diff(probabilities) > 0).any():
            raise wrong("probabilities", "a non-increasing list (nearer pairs are likelier similar)")
        return cls(tuple(distances.tolist()), tuple(probabilities.tolist()), n_pairs, pairs)


def sigmoid_points(intercept: float, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """The corner points of the sigmoid 1 / (1 + exp(-(intercept + slope * distance))), slope <= 0.

    `SIGMOID_POINTS` distances evenly from where the curve falls below 1 - `SIGMOID_FLOOR` (0 when it is
    below already there) to where it falls to `SIGMOID_FLOOR`, and the curve's values at them; one
    point at distance 0 when the slope is 0 or the curve is at most `SIGMOID_FLOOR` from 0 on.

    Returns:
        (distances, probabilities), float64.
    """
    edge = math.log(SIGMOID_FLOOR / (1 - SIGMOID_FLOOR))  # the logit of SIGMOID_FLOOR, about -13.8
    if slope == 0 or intercept <= edge:
        distances = np.zeros(1)
    else:
        first = max((-edge - intercept) / slope, 0.0)
        distances = np.linspace(first, (edge - intercept) / slope, SIGMOID_POINTS)
    return distances, _logistic(intercept + slope * distances)


def _logistic(values: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-values)), without overflow."""
    return np.exp(-np.logaddexp(0.0, -values))


def _finite_number(value) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float
        return False


def fit_calibration(
    distances, labels, *, pairs: str, method: str = "auto", max_points: int = MAX_POINTS
) -> Calibration:
    """Fit P(similar | distance) on held-out pairs, by isotonic regression or a sigmoid.

    Fit it on pairs the model did not train on: on its own training pairs a model is surer than it
    should be. `method="auto"` (the default) fits the method `choose_method` picks on these pairs.

    Isotonic regression: `IsotonicRegression(increasing=False, out_of_bounds="clip", y_min=0, y_max=1)`
    fitted to the outcome "similar" (1 for Y = 0, 0 for Y = 1) against the distance; its corner points
    (`X_thresholds_`, `y_thresholds_`) become the `Calibration`, whose `p_similar` equals the fitted
    model's `predict`. In the rare case of more than `max_points` corner points, `max_points` of them
    are kept, spread evenly and both ends included (the function stays non-increasing and within 0 to 1).

    Sigmoid: `fit_sigmoid` (Platt scaling).

    Args:
        distances: (n,) the model's distances for the pairs.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.
        pairs: Which pairs these are, in words, kept with the calibration.
        method: "auto", "isotonic" or "sigmoid".
        max_points: The most corner points kept of isotonic regression (at least 2).

    Returns:
        The `Calibration`.

    Raises:
        DataError: Empty or mismatched inputs, non-finite distances, labels other than 0/1, or only one
            class present.
        ValueError: An unknown method (a bug).
    """
    if method not in ("auto", *METHODS):
        raise ValueError(f"method must be 'auto', 'isotonic' or 'sigmoid'. Received: method={method!r}")
    distances, similar = _checked(distances, labels, "distances")
    n_similar = int(similar.sum())
    if n_similar in (0, similar.size):
        raise DataError(
            "a calibration needs both similar and dissimilar pairs; these have "
            f"{n_similar:,} similar and {similar.size - n_similar:,} dissimilar"
        )
    if method == "auto":
        method = choose_method(distances, labels)
    pairs = str(pairs)[:MAX_PAIRS_TEXT]
    if method == "sigmoid":
        return Calibration.sigmoid(*fit_sigmoid(distances, labels), int(distances.size), pairs)
    corners, probabilities = _isotonic(distances, similar)
    if corners.size > max_points:
        keep = np.unique(np.linspace(0, corners.size - 1, max(int(max_points), 2)).round().astype(int))
        corners, probabilities = corners[keep], probabilities[keep]
    return Calibration(
        tuple(float(value) for value in corners),
        tuple(float(value) for value in probabilities),
        int(distances.size),
        pairs,
    )


def _isotonic(distances: np.ndarray, similar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic regression's corner points (distances, probabilities) for the outcome "similar"."""
    from sklearn.isotonic import IsotonicRegression  # scikit-learn loads on first use

    model = IsotonicRegression(increasing=False, out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(distances, similar.astype(np.float64))
    return model.X_thresholds_, np.clip(model.y_thresholds_, 0.0, 1.0)


def fit_sigmoid(distances, labels) -> tuple[float, float]:
    """Platt scaling: the sigmoid 1 / (1 + exp(-(a + b * distance))) of largest likelihood, b <= 0.

    As Platt (1999) fits it: the outcomes are softened to (n_similar + 1) / (n_similar + 2) for a similar
    pair and 1 / (n_dissimilar + 2) for a dissimilar one (so classes that a distance separates perfectly
    still give a finite curve), and the log loss against them is minimised by Newton's method (it is
    convex in a and b). A best slope above 0 (farther pairs likelier similar: a model no better than
    chance) is replaced by the best curve of slope 0, the softened share of similar pairs.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.

    Returns:
        (a, b).

    Raises:
        DataError: Bad inputs, as `fit_calibration`.
    """
    distances, similar = _checked(distances, labels, "distances")
    n_similar = int(similar.sum())
    n_dissimilar = similar.size - n_similar
    if n_similar in (0, similar.size):
        raise DataError(
            "a calibration needs both similar and dissimilar pairs; these have "
            f"{n_similar:,} similar and {n_dissimilar:,} dissimilar"
        )
    target = np.where(similar, (n_similar + 1) / (n_similar + 2), 1 / (n_dissimilar + 2))
    design = np.column_stack([np.ones_like(distances), distances])

    def loss(theta: np.ndarray) -> float:
        z = design @ theta
        return float(np.sum(np.logaddexp(0.0, z) - target * z))

    share = float(target.mean())
    flat = np.array([math.log(share / (1 - share)), 0.0])
    theta = flat
    for _ in range(100):
        p = _logistic(design @ theta)
        gradient = design.T @ (p - target)
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        size, current = 1.0, loss(theta)
        while loss(theta - size * step) > current and size > 1e-10:  # halve until the loss falls
            size /= 2
        theta = theta - size * step
        if np.abs(size * step).max() < 1e-12:
            break
    if theta[1] > 0:
        theta = flat
    return float(theta[0]), float(theta[1])


def choose_method(distances, labels, *, folds: int = CHOICE_FOLDS) -> str:
    """ "isotonic" or "sigmoid": the one with the lower Brier score out of fold on these pairs.

    Stratified `folds`-fold cross-validation (shuffled, seed 0; as many folds as the rarer class has
    pairs when fewer): each method is fitted on the other folds and scored on the held-out fold, and the
    Brier scores of all pairs are averaged. The Brier score, not the log loss: isotonic regression
    predicts 0 and 1, which a single surprise makes an infinite log loss. Ties go to the sigmoid. With
    fewer than 2 pairs of a class there is nothing to cross-validate, and two numbers are all so few
    pairs can fit: the sigmoid.

    Isotonic regression assumes no shape, which pays once the pairs are many; a sigmoid assumes one,
    which pays when they are few. Measured on the quality benchmark's separate test files
    (bench/bench_calibration.py), this choice gave the sigmoid on most small files (122 to 1,638 held-out
    pairs) and isotonic regression on the 300,000-pair file (17,000 held-out pairs); against isotonic
    regression alone it lowered the expected calibration error on 6 of the 10 small rows of two seeds
    and raised it on 2 (bench/README.md).

    Args:
        distances: (n,) distances of held-out pairs.
        labels: (n,) 0 for similar, 1 for dissimilar; both must be present.
        folds: How many folds at most.

    Returns:
        The method.
    """
    from sklearn.model_selection import StratifiedKFold

    distances, similar = _checked(distances, labels, "distances")
    n_similar = int(similar.sum())
    rarer = min(n_similar, similar.size - n_similar)
    if rarer < 2:
        return "sigmoid"
    labels = np.where(similar, 0.0, 1.0)
    squared = {"isotonic": 0.0, "sigmoid": 0.0}
    splitter = StratifiedKFold(n_splits=min(folds, rarer), shuffle=True, random_state=0)
    for fitted, held in splitter.split(distances, similar):
        corners, probabilities = _isotonic(distances[fitted], similar[fitted])
        predicted = {
            "isotonic": np.interp(distances[held], corners, probabilities),
            "sigmoid": Calibration.sigmoid(*fit_sigmoid(distances[fitted], labels[fitted]), 2, "x").p_similar(
                distances[held]
            ),
        }
        for method, p_similar in predicted.items():
            squared[method] += float(np.sum((p_similar - similar[held]) ** 2))
    return "isotonic" if squared["isotonic"] < squared["sigmoid"] else "sigmoid"


@dataclass
class CalibrationMetrics:
    """How well probabilities of "similar" match what happened.

    Attributes:
        brier: The Brier score: mean of (p - outcome)^2, the outcome 1 for a similar pair and 0 for a
            dissimilar one; 0 is perfect, 0.25 what always saying 0.5 scores.
        ece: The expected calibration error (`expected_calibration_error`).
        reliability: The reliability table (`reliability_table`), one row per non-empty bin.
        bins: How many equal-width bins of predicted probability.
    """

    brier: float
    ece: float
    reliability: pd.DataFrame
    bins: int = RELIABILITY_BINS

    def to_dict(self) -> dict:
        """Plain JSON values: "brier_score", "expected_calibration_error", "calibration_bins" and
        "reliability" (a list of its rows as objects)."""
        return {
            "brier_score": float(self.brier),
            "expected_calibration_error": float(self.ece),
            "calibration_bins": int(self.bins),
            "reliability": [
                {key: (int(value) if key == "pairs" else float(value)) for key, value in row.items()}
                for row in self.reliability.to_dict(orient="records")
            ],
        }


def _checked(values, labels, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 and a boolean similar mask, refused when empty, mismatched, not finite, or with
    labels other than 0 and 1."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if values.size == 0 or values.size != labels.size:
        raise DataError(
            f"{what} and labels must be as many and at least one; received {values.size:,} {what} and "
            f"{labels.size:,} labels"
        )
    if not np.isfinite(values).all():
        raise DataError(f"{int((~np.isfinite(values)).sum()):,} {what} are not finite (NaN or infinite)")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise DataError("labels must be 0 (similar) or 1 (dissimilar); map the label column first")
    return values, labels == 0.0


def _probabilities(p_similar, labels) -> tuple[np.ndarray, np.ndarray]:
    p_similar, similar = _checked(p_similar, labels, "probabilities")
    if ((p_similar < 0) | (p_similar > 1)).any():
        raise DataError("probabilities must be from 0 to 1")
    return p_similar, similar


def brier_score(p_similar, labels) -> float:
    """The Brier score of probabilities of "similar": mean((p - outcome)^2), outcome 1 for a similar pair
    (Y = 0) and 0 for a dissimilar one (Y = 1).

    Args:
        p_similar: (n,) probabilities that each pair is similar, 0 to 1.
        labels: (n,) 0 for similar, 1 for dissimilar.

    Returns:
        The score, 0 (perfect) to 1.

    Raises:
        DataError: Empty or mismatched inputs, probabilities outside 0 to 1 or not finite, labels other
            than 0/1.
    """
    p_similar, similar = _probabilities(p_similar, labels)
    return float(np.mean((p_similar - similar) ** 2))


def reliability_table(p_similar, labels, *, bins: int = RELIABILITY_BINS) -> pd.DataFrame:
    """Predicted against observed, per bin of predicted probability.

    The bins are `bins` equal-width intervals of [0, 1]: bin k holds k / bins <= p < (k + 1) / bins, the
    last one p = 1 too. Empty bins are left out.

    Args:
        p_similar: (n,) probabilities that each pair is similar, 0 to 1.
        labels: (n,) 0 for similar, 1 for dissimilar.
        bins: How many bins.

    Returns:
        One row per non-empty bin: `bin_low`, `bin_high` (its edges), `mean_predicted` (the mean p of its
        pairs), `observed_similar` (the share of them that are similar) and `pairs` (how many).

    Raises:
        DataError: Bad inputs, as `brier_score`.
        ValueError: `bins` below 1 (a bug).
    """
    p_similar, similar = _probabilities(p_similar, labels)
    if bins < 1:
        raise ValueError(f"bins must be >= 1. Received: bins={bins}")
    index = np.minimum(np.floor(p_similar * bins).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=p_similar, minlength=bins)
    observed = np.bincount(index, weights=similar.astype(np.float64), minlength=bins)
    filled = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            "bin_low": filled / bins,
            "bin_high": (filled + 1) / bins,
            "mean_predicted": predicted[filled] / counts[filled],
            "observed_similar": observed[filled] / counts[filled],
            "pairs": counts[filled].astype(np.int64),
        },
        columns=list(RELIABILITY_COLUMNS),
    )


def expected_calibration_error(p_similar, labels, *, bins: int = RELIABILITY_BINS) -> float:
    """The expected calibration error: over `bins` equal-width bins of predicted probability (as
    `reliability_table` makes them), the mean of |mean predicted - observed share of similar pairs|,
    each bin weighted by its share of the pairs.

    Args:
        p_similar: (n,) probabilities that each pair is similar, 0 to 1.
        labels: (n,) 0 for similar, 1 for dissimilar.
        bins: How many bins.

    Returns:
        The error, 0 (perfect) to 1.

    Raises:
        DataError: Bad inputs, as `brier_score`.
    """
    return _ece(reliability_table(p_similar, labels, bins=bins))


def _ece(table: pd.DataFrame) -> float:
    gaps = (table["mean_predicted"] - table["observed_similar"]).abs()
    return float((gaps * table["pairs"]).sum() / table["pairs"].sum())


def calibration_metrics(p_similar, labels, *, bins: int = RELIABILITY_BINS) -> CalibrationMetrics:
    """The Brier score, the expected calibration error and the reliability table of probabilities of
    "similar" (see `brier_score`, `expected_calibration_error`, `reliability_table`).

    Raises:
        DataError: Bad inputs, as `brier_score`.
    """
    table = reliability_table(p_similar, labels, bins=bins)
    return CalibrationMetrics(
        brier=brier_score(p_similar, labels), ece=_ece(table), reliability=table, bins=int(bins)
    )
