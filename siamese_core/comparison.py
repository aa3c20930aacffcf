"""Two models on the same pairs: "is the new model better?"

Each model is evaluated on the same labelled pairs at its own saved threshold, and the two ROC AUCs are
compared with a paired bootstrap (`intervals.compare_aucs`): both models are measured on every resample,
so the interval of the difference B - A says whether B ranks the pairs better than A by more than chance.
The AUC is compared rather than accuracy because it needs no threshold, and the two models' distances
need not be on one scale (another margin or embedding gives other distances): only how each model ranks
the pairs counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siamese_core.evaluation import EvalResult, evaluate_distances
from siamese_core.intervals import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    AucComparison,
    compare_aucs,
    pair_sample_ids,
)
from siamese_core.pairs import PairSet, align_features

LETTERS = ("A", "B")


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
        sample_ids: (n, 2) the sample of each pair's two sides (`pair_sample_ids`), so that the bootstrap
            resamples samples; None resamples the pairs.
        resamples: Bootstrap resamples.
        confidence: The intervals' level.
        seed: Seed of the resampling.

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
        resamples: Bootstrap resamples.
        confidence: The intervals' level.
        seed: Seed of the resampling.

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
