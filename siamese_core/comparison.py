"""Two models on the same pairs: "is the new model better?"

Each model is evaluated on the same labelled pairs at its own saved threshold, and the two ROC AUCs are
compared with a paired bootstrap (`compare_aucs`): both models are measured on every resample, so the
interval of the difference B - A says whether B ranks the pairs better than A by more than chance.
The AUC is compared rather than accuracy because it needs no threshold, and the two models' distances
need not be on one scale (another margin or embedding gives other distances): only how each model ranks
the pairs counts.

Paired: each resample (`siamese_core.intervals.Resampler`) is drawn once and both models' AUCs are
measured on it, with the same sample counts and the same pair-level weight for each pair (drawn for the
pairs, not for where a model's distances sort them). The difference B - A is a sum over pairs like any
metric of `siamese_core.intervals`, so its interval is made and corrected in the same way; what the two
models get right or wrong together cancels in it, which is why it is much narrower than the two AUCs'
intervals suggest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siamese_core.errors import DataError
from siamese_core.evaluation import EvalResult, check_distances, evaluate_distances
from siamese_core.intervals import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    SAMPLES,
    Interval,
    Resampler,
    check_bootstrap_settings,
    describe_resampling,
    pair_sample_ids,
    product_weights,
    replicate_distribution,
    replicate_interval,
)
from siamese_core.pairs import PairSet, align_features
from siamese_core.weighted import SortedPairs, weighted_auc

LETTERS = ("A", "B")


@dataclass(frozen=True)
class AucComparison:
    """Two models' ROC AUCs on the same pairs, and their difference with a paired bootstrap interval.

    Attributes:
        auc_a: Model A's ROC AUC on the pairs (similar positive, score = -distance).
        auc_b: Model B's.
        difference: `auc_b - auc_a`: above 0 when B ranks the pairs better than A.
        interval: The interval of `difference`, from resamples that measure both models on the same draws.
        auc_a_interval: The interval of A's AUC, from the same resamples.
        auc_b_interval: The interval of B's AUC, likewise.
        share_b_better: The share of the bootstrap distribution of the difference above 0 (B's AUC
            higher): the distribution the interval is read from (for samples, shrunk toward the estimate as
            the interval is); NaN when no resample measured it.
        p_value: Two-sided bootstrap p-value of "the models rank the pairs equally well": twice the smaller
            share of that distribution at or below 0 and at or above 0, at most 1. The interval at level c
            leaves 0 out about when p < 1 - c; identical models give 1.
        resampled: "samples" (pairs weighted by their samples' counts) or "pairs" (sample identity unknown).
        n_units: How many samples (or pairs) each resample draws.
        resamples: Bootstrap resamples drawn.
        kept: Resamples with similar and dissimilar pairs, the ones measured (the same for both models).
        confidence: The intervals' level, such as 0.95.
        seed: The seed the resamples were drawn with.
    """

    auc_a: float
    auc_b: float
    difference: float
    interval: Interval
    auc_a_interval: Interval
    auc_b_interval: Interval
    share_b_better: float
    p_value: float
    resampled: str
    n_units: int
    resamples: int
    kept: int
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED

    def verdict(self, names: tuple[str, str] = ("A", "B")) -> str:
        """The answer to "is B better?" in words: which model is better when the interval of the difference
        leaves 0 out, else that there is no clear difference.

        Args:
            names: What to call the two models, A's name first.
        """
        low, high = self.interval.low, self.interval.high
        if math.isnan(low) or math.isnan(high):
            return "not measured: no resample held both similar and dissimilar pairs"
        if low > 0:
            return f"{names[1]} is better: the interval of the AUC difference excludes 0"
        if high < 0:
            return f"{names[0]} is better: the interval of the AUC difference excludes 0"
        return "no clear difference: the interval of the AUC difference includes 0"

    def describe(self) -> str:
        """How the intervals were made, in one sentence a user can check."""
        text = describe_resampling(self.confidence, self.resamples, self.n_units, self.resampled, self.seed)
        text += "; both models are measured on every resample, so the difference's interval is paired"
        if self.kept < self.resamples:
            text += (
                f"; {self.resamples - self.kept:,} resamples without a similar or without a dissimilar pair "
                "were left out"
            )
        return text + "."

    def to_dict(self) -> dict:
        """JSON-ready: the AUCs, their difference and the intervals as [low, high] ("auc_a_ci",
        "auc_b_ci", "auc_difference_ci"), the share and p-value, the verdict, and how they were made."""
        return {
            "auc_a": float(self.auc_a),
            "auc_a_ci": self.auc_a_interval.as_list(),
            "auc_b": float(self.auc_b),
            "auc_b_ci": self.auc_b_interval.as_list(),
            "auc_difference": float(self.difference),
            "auc_difference_ci": self.interval.as_list(),
            "share_b_better": None if math.isnan(self.share_b_better) else float(self.share_b_better),
            "p_value": None if math.isnan(self.p_value) else float(self.p_value),
            "verdict": self.verdict(),
            "ci_confidence": float(self.confidence),
            "ci_resamples": int(self.resamples),
            "ci_kept": int(self.kept),
            "ci_resampled": self.resampled,
            "ci_units": int(self.n_units),
            "ci_seed": int(self.seed),
        }


def compare_aucs(
    distances_a,
    distances_b,
    labels,
    *,
    sample_ids=None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> AucComparison:
    """Two models' ROC AUCs on the same pairs and the difference B - A, with a paired bootstrap interval.

    Paired, as the module's docstring says: the same resamples as `intervals.bootstrap_intervals` draws,
    both models measured on each, whatever order each model's distances sort the pairs in.

    Args:
        distances_a: (n,) model A's distances of the pairs.
        distances_b: (n,) model B's distances of the same pairs, in the same order (any scale: only how
            each model ranks the pairs counts).
        labels: (n,) 0 similar, 1 dissimilar; both present.
        sample_ids: As `intervals.bootstrap_intervals` takes them (None resamples the pairs).
        resamples: Bootstrap resamples (1,000 by default).
        confidence: The intervals' level (0.95 by default).
        seed: Seed of the resampling: the same inputs and seed give the same result.

    Returns:
        `AucComparison`.

    Raises:
        DataError: Bad distances or labels, distances of another length for B, or sample ids of another
            shape.
        ConfigError: Bad resamples or confidence.
    """
    distances_a, similar_mask = check_distances(distances_a, labels)
    n_b = np.asarray(distances_b).size
    if n_b != distances_a.size:
        raise DataError(
            f"both models must be measured on the same pairs: received {distances_a.size:,} distances for "
            f"model A and {n_b:,} for model B"
        )
    distances_b, _ = check_distances(distances_b, labels)
    resamples, confidence = check_bootstrap_settings(resamples, confidence)
    models = (SortedPairs(distances_a, similar_mask), SortedPairs(distances_b, similar_mask))
    resampler = Resampler(distances_a.size, sample_ids, resamples=resamples, seed=int(seed), order=models[0])
    units = [resampler.units(pairs) for pairs in models]
    kinds = 2 if resampler.resampled == SAMPLES else 1
    replicates = np.full((2, kinds, resamples), np.nan)  # model, kind (product weights, pair-level), resample
    for done, counts, pair_weights in resampler.blocks():
        for model, pairs in enumerate(models):
            similar, dissimilar = (product_weights(counts, side) for side in units[model])
            replicates[model, 0, done] = weighted_auc(pairs, similar, dissimilar)
            if pair_weights is not None:
                replicates[model, 1, done] = weighted_auc(pairs, *resampler.own_weights(pairs, pair_weights))
    estimates = [float(weighted_auc(pairs, *pairs.ones())[0]) for pairs in models]  # the pairs as they are
    difference = estimates[1] - estimates[0]
    differences = list(replicates[1] - replicates[0])
    spread = replicate_distribution(resampler.resampled, difference, differences)
    if spread.size:
        share = float(np.mean(spread > 0))
        p_value = min(1.0, 2 * float(min(np.mean(spread <= 0), np.mean(spread >= 0))))
    else:
        share = p_value = math.nan
    return AucComparison(
        auc_a=estimates[0],
        auc_b=estimates[1],
        difference=difference,
        interval=replicate_interval(resampler.resampled, difference, differences, confidence),
        auc_a_interval=replicate_interval(resampler.resampled, estimates[0], list(replicates[0]), confidence),
        auc_b_interval=replicate_interval(resampler.resampled, estimates[1], list(replicates[1]), confidence),
        share_b_better=share,
        p_value=p_value,
        resampled=resampler.resampled,
        n_units=resampler.n_units,
        resamples=resamples,
        kept=int(np.isfinite(replicates[0, 0]).sum()),
        confidence=confidence,
        seed=int(seed),
    )


@dataclass
class ModelComparison:
    """Two models measured on the same pairs.

    Attributes:
        names: What each model is (such as its file's name), A's first.
        results: Each model's evaluation of the pairs (`evaluate_distances`) at its own threshold.
        distances: Each model's (n,) distances of the pairs, in the pairs' order.
        labels: (n,) the pairs' labels, 0 similar and 1 dissimilar.
        auc: Both AUCs and the difference B - A with its paired bootstrap interval.
    """

    names: tuple[str, str]
    results: tuple[EvalResult, EvalResult]
    distances: tuple[np.ndarray, np.ndarray]
    labels: np.ndarray
    auc: AucComparison

    def summary(self) -> list[tuple[str, str]]:
        """The comparison as (what, value) rows, as the CLI prints them and the report tabulates them: both
        AUCs with their intervals, the difference B - A with its paired interval, how often B was ahead,
        and both models' equal error rates and accuracies (each at its own threshold)."""
        auc, (first, second) = self.auc, self.results
        level = f"{auc.confidence:.0%} CI"
        if auc.p_value == 0:
            p_text = f"p < {1 / auc.kept:.2g}"
        else:
            p_text = "p = n/a" if math.isnan(auc.p_value) else f"p = {auc.p_value:.3g}"
        share = "n/a" if math.isnan(auc.share_b_better) else f"{auc.share_b_better:.1%}"
        return [
            ("ROC AUC of A", f"{auc.auc_a:.4f} ({level} {_ends(auc.auc_a_interval)})"),
            ("ROC AUC of B", f"{auc.auc_b:.4f} ({level} {_ends(auc.auc_b_interval)})"),
            ("AUC difference B - A", f"{auc.difference:+.4f} ({level} {_ends(auc.interval, signed=True)})"),
            ("B ahead of A in", f"{share} of the resamples (two-sided {p_text})"),
            ("equal error rate A / B", f"{first.eer:.4f} / {second.eer:.4f}"),
            (
                "accuracy A / B",
                f"{first.at_threshold.accuracy:.4f} / {second.at_threshold.accuracy:.4f} (each at its own "
                "threshold)",
            ),
        ]

    def to_dict(self) -> dict:
        """JSON-ready: `AucComparison.to_dict`, then each model's name and evaluation (`EvalResult.to_dict`)
        under "model_a" and "model_b"."""
        return {
            **self.auc.to_dict(),
            **{
                f"model_{letter.lower()}": {"name": name, **result.to_dict()}
                for letter, name, result in zip(LETTERS, self.names, self.results, strict=True)
            },
        }


def _ends(interval, *, signed: bool = False) -> str:
    """An interval's ends as "low to high" with four decimals (a sign on both when `signed`), n/a for NaN."""
    form = "+.4f" if signed else ".4f"
    low, high = ("n/a" if math.isnan(end) else f"{end:{form}}" for end in (interval.low, interval.high))
    return f"{low} to {high}"


def model_distances(bundle, pairs: PairSet, *, what: str = "the model") -> np.ndarray:
    """A model's distances of pairs read from a file, the features put in the model's order by name.

    Args:
        bundle: The model (a `SiameseBundle`).
        pairs: The pairs.
        what: What the model is, for the message when the file does not have its features.

    Returns:
        (n,) distances.

    Raises:
        DataError: The file's features are not the model's (`pairs.align_features`).
    """
    aligned = align_features(bundle, pairs, what=what)
    return bundle.distances(aligned.left, aligned.right)


def compare_distances(
    distances: tuple,
    labels,
    *,
    thresholds: tuple[float, float],
    margins: tuple = (None, None),
    names: tuple[str, str] = LETTERS,
    sample_ids=None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> ModelComparison:
    """Two models' distances of the same pairs, evaluated and compared.

    Args:
        distances: Model A's (n,) distances and model B's, of the same pairs in the same order.
        labels: (n,) 0 similar, 1 dissimilar; both present.
        thresholds: Each model's threshold (D <= threshold is called similar).
        margins: Each model's contrastive margin, or None.
        names: What each model is.
        sample_ids, resamples, confidence, seed: The paired bootstrap's, as `compare_aucs` takes them.

    Returns:
        `ModelComparison`.

    Raises:
        DataError: Bad distances or labels, or distances of different lengths.
        ConfigError: A bad threshold, margin or bootstrap setting.
    """
    auc = compare_aucs(
        distances[0],
        distances[1],
        labels,
        sample_ids=sample_ids,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )
    results = tuple(
        evaluate_distances(values, labels, threshold=threshold, margin=margin)
        for values, threshold, margin in zip(distances, thresholds, margins, strict=True)
    )
    return ModelComparison(
        names=tuple(names),
        results=results,
        distances=tuple(np.asarray(values, dtype=np.float64).reshape(-1) for values in distances),
        labels=np.asarray(labels).reshape(-1),
        auc=auc,
    )


def compare_models(
    first,
    second,
    pairs: PairSet,
    *,
    names: tuple[str, str] = LETTERS,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> ModelComparison:
    """Two models on the same labelled pairs, each at its own threshold, with the paired bootstrap of
    their AUC difference B - A resampling the samples (equal feature vectors) of the pairs.

    Args:
        first: Model A (a `SiameseBundle`).
        second: Model B.
        pairs: The labelled pairs, with both models' features (matched by name, in any order).
        names: What each model is (such as its file's name), for messages and figures.
        resamples, confidence, seed: The paired bootstrap's, as `compare_aucs` takes them.

    Returns:
        `ModelComparison`.

    Raises:
        DataError: The pairs lack a model's features (the message names the model and the features), or
            hold only one class.
    """
    distances = tuple(
        model_distances(bundle, pairs, what=f"model {letter} ({name})")
        for bundle, letter, name in zip((first, second), LETTERS, names, strict=True)
    )
    return compare_distances(
        distances,
        pairs.labels,
        thresholds=(first.threshold, second.threshold),
        margins=(first.margin, second.margin),
        names=names,
        sample_ids=pair_sample_ids(pairs.left, pairs.right),
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )
