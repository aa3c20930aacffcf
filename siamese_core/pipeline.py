"""From loaded data to a trained, evaluated model bundle in one call (used by the CLI and the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamese_core.bundle import SiameseBundle, current_versions
from siamese_core.errors import DataError
from siamese_core.evaluation import EvalResult, best_accuracy_threshold, evaluate_distances
from siamese_core.pairs import PairSet, SampleSet
from siamese_core.splits import Splits, split_pairs, split_samples
from siamese_core.training import ProgressCallback, TrainConfig, TrainResult, predict_distances, train


@dataclass
class FitOutcome:
    """Everything one training run produced.

    Attributes:
        bundle: The model with its metadata, ready to save.
        result: The training result (history, epochs, stop reason).
        splits: The train / validation / test pairs.
        test: Metrics on the held-out test pairs at the bundle's threshold; None without a test split.
        test_distances: The model's distances for the test pairs.
        threshold_source: Which pairs the threshold was chosen on.
    """

    bundle: SiameseBundle
    result: TrainResult
    splits: Splits
    test: EvalResult | None
    test_distances: np.ndarray | None
    threshold_source: str


def make_splits(
    data: PairSet | SampleSet,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    leakage_aware: bool = True,
    pairs_per_sample: int = 8,
    hard_negatives: bool = False,
) -> Splits:
    """Leakage-aware splits of pairs, or of labeled samples into pairs (see `siamese_core.splits`)."""
    if isinstance(data, SampleSet):
        return split_samples(
            data,
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            seed=seed,
            pairs_per_sample=pairs_per_sample,
            hard_negatives=hard_negatives,
        )
    return split_pairs(
        data,
        validation_fraction=validation_fraction,
        test_fraction=test_fraction,
        seed=seed,
        leakage_aware=leakage_aware,
    )


def fit(
    data: PairSet | SampleSet,
    config: TrainConfig | None = None,
    *,
    test_fraction: float = 0.15,
    leakage_aware: bool = True,
    pairs_per_sample: int = 8,
    hard_negatives: bool = False,
    on_progress: ProgressCallback | None = None,
    splits: Splits | None = None,
) -> FitOutcome:
    """Split, train, choose a threshold, evaluate on held-out pairs, and bundle the model.

    The threshold is the best-accuracy threshold on the validation pairs (on the training pairs when
    there is no validation split with both classes), never on the test pairs, so the test metrics are
    an honest estimate.

    Args:
        data: Loaded pairs, or labeled samples to make pairs from.
        config: Training settings; `TrainConfig()` when None.
        test_fraction: Share held out for the final metrics.
        leakage_aware: Keep every sample in one split (see `split_pairs`).
        pairs_per_sample: For labeled samples: pairs per anchor sample.
        hard_negatives: For labeled samples: dissimilar pairs from the nearest samples of other classes.
        on_progress: Progress callback (see `train`).
        splits: Ready-made splits; when given, the split arguments are ignored.

    Returns:
        A `FitOutcome`.
    """
    config = config or TrainConfig()
    if splits is None:
        splits = make_splits(
            data,
            validation_fraction=config.validation_fraction,
            test_fraction=test_fraction,
            seed=config.seed,
            leakage_aware=leakage_aware,
            pairs_per_sample=pairs_per_sample,
            hard_negatives=hard_negatives,
        )
    result = train(splits.train, splits.validation, config, on_progress=on_progress)

    threshold_pairs, threshold_source = splits.train, "training pairs"
    if splits.validation is not None and _has_both_classes(splits.validation):
        threshold_pairs, threshold_source = splits.validation, "validation pairs"
    distances = predict_distances(result.model, threshold_pairs.left, threshold_pairs.right)
    _, threshold = best_accuracy_threshold(distances, threshold_pairs.labels)

    test, test_distances = None, None
    if splits.test is not None and _has_both_classes(splits.test):
        test_distances = predict_distances(result.model, splits.test.left, splits.test.right)
        test = evaluate_distances(
            test_distances, splits.test.labels, threshold=threshold, margin=config.margin
        )

    info = splits.train.info
    metrics = test.to_dict() if test is not None else {}
    metrics.update({"threshold_source": threshold_source, "split": splits.describe()})
    bundle = SiameseBundle(
        model=result.model,
        feature_names=list(splits.train.feature_names),
        margin=config.margin,
        threshold=float(threshold),
        label_mapping=_mapping_dict(info),
        train_config=config.to_dict(),
        metrics=metrics,
        history=result.history,
        versions=current_versions(),
    )
    return FitOutcome(bundle, result, splits, test, test_distances, threshold_source)


def align_features(bundle: SiameseBundle, pairs: PairSet) -> PairSet:
    """The pairs with their feature columns in the model's order.

    Args:
        bundle: The model.
        pairs: Pairs loaded from a file.

    Returns:
        The pairs, reordered by feature name when the names match in another order.

    Raises:
        DataError: If the file's features do not match the model's.
    """
    if list(pairs.feature_names) == list(bundle.feature_names):
        return pairs
    if sorted(pairs.feature_names) == sorted(bundle.feature_names):
        position = {name: index for index, name in enumerate(pairs.feature_names)}
        order = np.array([position[name] for name in bundle.feature_names])
        return PairSet(
            left=pairs.left[:, order],
            right=pairs.right[:, order],
            labels=pairs.labels,
            feature_names=list(bundle.feature_names),
            rows=pairs.rows,
            info=pairs.info,
            sample_rows=pairs.sample_rows,
        )
    missing = [name for name in bundle.feature_names if name not in set(pairs.feature_names)]
    source = pairs.info.source if pairs.info else None
    if pairs.n_features == bundle.n_features:
        raise DataError(
            f"the file's features ({', '.join(pairs.feature_names[:4])}, ...) are not the model's "
            f"({', '.join(bundle.feature_names[:4])}, ...); missing for example {', '.join(missing[:4])}. "
            "Rename the columns to match the model",
            source=source,
        )
    raise DataError(
        f"the model expects {bundle.n_features} features per sample but the file has {pairs.n_features}; "
        f"missing for example {', '.join(missing[:4])}",
        source=source,
    )


def score_pairs(bundle: SiameseBundle, pairs: PairSet) -> np.ndarray:
    """The model's distances for pairs from a file, features aligned by name."""
    pairs = align_features(bundle, pairs)
    return bundle.distances(pairs.left, pairs.right)


def _has_both_classes(pairs: PairSet) -> bool:
    n_similar = int(pairs.similar_mask.sum())
    return 0 < n_similar < pairs.n_pairs


def _mapping_dict(info) -> dict | None:
    if info is None or info.label_mapping is None:
        if info is not None and info.class_column:
            return {"column": info.class_column, "rule": "pairs of the same class are similar"}
        return None
    mapping = info.label_mapping
    return {
        "column": mapping.column,
        "similar_values": list(mapping.similar_values),
        "dissimilar_values": list(mapping.dissimilar_values),
        "reason": mapping.reason,
    }
