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

    @property
    def test_pairs(self) -> PairSet | None:
        return self.splits.test

    def describe_splits(self) -> str:
        return self.splits.describe()


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
    finished = _evaluate_and_bundle(
        result, config, splits.train, splits.validation, splits.test, splits.describe(), splits.train.info
    )
    return FitOutcome(finished.bundle, result, splits, finished.test, finished.test_distances, finished.threshold_source)


MAX_HELD_OUT_PAIRS = 200_000  # validation / test pairs of a stream held in memory, at most


@dataclass
class StreamFitOutcome:
    """Everything one streamed (or distributed) training run produced.

    Attributes:
        bundle: The model with its metadata, ready to save.
        result: The training result.
        scan: What the validating pass over the data found (pair counts per split, label mapping).
        test: Metrics on the held-out test pairs (up to `MAX_HELD_OUT_PAIRS` of them); None without.
        test_distances: The model's distances for those test pairs.
        test_pairs: Those test pairs.
        threshold_source: Which pairs the threshold was chosen on.
    """

    bundle: SiameseBundle
    result: TrainResult
    scan: object
    test: EvalResult | None
    test_distances: np.ndarray | None
    test_pairs: PairSet | None
    threshold_source: str

    split_strategy: str = "samples"

    def describe_splits(self) -> str:
        return _describe_stream_splits(self.scan.split_counts, self.test_pairs, self.split_strategy)


def fit_stream(
    stream,
    config: TrainConfig | None = None,
    *,
    strategy=None,
    on_progress: ProgressCallback | None = None,
    max_held_out: int = MAX_HELD_OUT_PAIRS,
) -> StreamFitOutcome:
    """Train on a pair stream (data larger than memory, or several workers), then threshold,
    evaluate and bundle as `fit` does.

    The stream's own leakage-aware split is used (see `siamese_core.streaming.PairStream`); up to
    `max_held_out` validation and test pairs are held in memory for early stopping, the threshold and
    the test metrics.

    Args:
        stream: A `siamese_core.streaming.PairStream` or `siamese_core.distributed.MemoryPairStream`.
        config: Training settings; `TrainConfig()` when None.
        strategy: A `tf.distribute.Strategy` (see `siamese_core.distributed.make_strategy`).
        on_progress: Progress callback (see `train`).
        max_held_out: Most validation (and test) pairs held in memory.

    Returns:
        A `StreamFitOutcome`.
    """
    from siamese_core.distributed import train_stream

    config = config or TrainConfig()
    scan = stream.scan()
    held_out = stream.load_splits([s for s in ("validation", "test") if scan.split_counts.get(s)], max_held_out)
    validation, test = held_out.get("validation"), held_out.get("test")  # read in one pass over the files
    result = train_stream(stream, validation, config, strategy=strategy, on_progress=on_progress)
    split_strategy = "samples" if getattr(stream, "leakage_aware", True) else "pairs at random"
    training_sample = None
    if validation is None or not _has_both_classes(validation):
        training_sample = stream.load_split("train", max_held_out)
    finished = _evaluate_and_bundle(
        result,
        config,
        training_sample,
        validation,
        test,
        _describe_stream_splits(scan.split_counts, test, split_strategy),
        getattr(scan, "info", None),
        feature_names=scan.feature_names,
    )
    return StreamFitOutcome(
        finished.bundle,
        result,
        scan,
        finished.test,
        finished.test_distances,
        test,
        finished.threshold_source,
        split_strategy,
    )


def _describe_stream_splits(counts: dict[str, int], test: PairSet | None, strategy: str = "samples") -> str:
    parts = [f"{name} {counts.get(name, 0):,}" for name in ("train", "validation", "test") if counts.get(name)]
    text = f"pairs: {', '.join(parts)} (split by {strategy})"
    if counts.get("dropped"):
        text += (
            f"; {counts['dropped']:,} pairs dropped because their two samples fell into different splits "
            "(no sample is shared between splits)"
        )
    if test is not None and test.n_pairs < counts.get("test", 0):
        text += f"; test metrics on the first {test.n_pairs:,} test pairs"
    return text


@dataclass
class _Finished:
    bundle: SiameseBundle
    test: EvalResult | None
    test_distances: np.ndarray | None
    threshold_source: str


def _evaluate_and_bundle(
    result: TrainResult,
    config: TrainConfig,
    train_pairs: PairSet | None,
    validation: PairSet | None,
    test_pairs: PairSet | None,
    split_description: str,
    info,
    *,
    feature_names: list[str] | None = None,
) -> _Finished:
    """The threshold (best accuracy on the validation pairs, else the training pairs; never the test
    pairs), the test metrics at it, and the bundle."""
    threshold_pairs, threshold_source = train_pairs, "training pairs"
    if validation is not None and _has_both_classes(validation):
        threshold_pairs, threshold_source = validation, "validation pairs"
    distances = predict_distances(result.model, threshold_pairs.left, threshold_pairs.right)
    _, threshold = best_accuracy_threshold(distances, threshold_pairs.labels)

    test, test_distances = None, None
    if test_pairs is not None and _has_both_classes(test_pairs):
        test_distances = predict_distances(result.model, test_pairs.left, test_pairs.right)
        test = evaluate_distances(test_distances, test_pairs.labels, threshold=threshold, margin=config.margin)

    metrics = test.to_dict() if test is not None else {}
    metrics.update({"threshold_source": threshold_source, "split": split_description})
    bundle = SiameseBundle(
        model=result.model,
        feature_names=list(feature_names if feature_names is not None else threshold_pairs.feature_names),
        margin=config.margin,
        threshold=float(threshold),
        label_mapping=_mapping_dict(info),
        train_config=result.config.to_dict(),  # with the batch size used (see TrainResult.config)
        metrics=metrics,
        history=result.history,
        versions=current_versions(),
    )
    return _Finished(bundle, test, test_distances, threshold_source)


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
