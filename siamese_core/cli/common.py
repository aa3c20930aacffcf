"""What the commands share: the labelled data the flags name, the model's description and the metrics
printed."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from siamese_core.errors import listed


def load_labeled(args):
    """The data named on the command line: pairs, or labeled samples (returned as a SampleSet)."""
    from siamese_core import data

    if args.samples:
        return data.load_pairs_by_reference(
            args.data,
            args.samples,
            id_column=args.id_column,
            id_columns=tuple(args.id_columns) if args.id_columns else None,
            label_column=args.label_column,
            similar_label=args.similar_label,
            drop_missing=args.drop_missing,
        )
    if args.class_column or (not args.left_columns and _looks_like_samples(args.data)):
        return data.load_samples_csv(
            args.data,
            class_column=args.class_column,
            id_column=args.id_column,
            drop_missing=args.drop_missing,
        )
    return data.load_pair_csv(args.data, **pair_options(args))


def pair_options(args) -> dict:
    """The options of a wide pair file, for `load_pair_csv` and `PairStream` alike."""
    return {
        "label_column": args.label_column,
        "left_columns": args.left_columns,
        "right_columns": args.right_columns,
        "similar_label": args.similar_label,
        "drop_missing": args.drop_missing,
    }


def _looks_like_samples(path: str) -> bool:
    """True when the file has no two sides of feature columns but has a class column."""
    from siamese_core import data

    columns = data.read_header(path, name=Path(path).name)
    name = Path(path).name
    return data.detect_sides(columns, name=name) is None and data.detect_class_column(columns) is not None


def labeled_pairs(args):
    """The pairs to measure a model on: the data's, or pairs made from its labeled samples (seed 0)."""
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet

    loaded = load_labeled(args)
    if isinstance(loaded, SampleSet):
        return make_pairs(loaded, seed=0)
    return loaded


def describe_loaded(data) -> None:
    info = data.info
    if info is None:
        return
    if info.label_mapping is not None:
        print(f"labels: {info.label_mapping.describe()} ({info.label_mapping.reason})", file=sys.stderr)
    if info.ignored_columns:
        print(f"ignored columns: {listed(info.ignored_columns, 10)}", file=sys.stderr)
    for warning in info.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def print_metrics(result, stream=None) -> None:
    stream = stream or sys.stdout
    rows = [
        ("pairs", f"{result.n_pairs:,} ({result.n_similar:,} similar, {result.n_dissimilar:,} dissimilar)"),
        ("ROC AUC", f"{result.auc:.4f}{_interval_text(result, 'auc')}"),
        (
            "equal error rate",
            f"{result.eer:.4f}{_interval_text(result, 'eer')} at distance {result.eer_threshold:.4f}",
        ),
        ("best accuracy", f"{result.best_accuracy:.4f} at distance {result.best_threshold:.4f}"),
        ("threshold", f"{result.threshold:.4f}"),
        ("accuracy", f"{result.at_threshold.accuracy:.4f}{_interval_text(result, 'accuracy')}"),
        (
            "precision / recall / F1",
            f"{result.at_threshold.precision:.4f}{_interval_text(result, 'precision')} / "
            f"{result.at_threshold.recall:.4f}{_interval_text(result, 'recall')} / {result.at_threshold.f1:.4f}",
        ),
        _tar_row(result),
        *_calibration_rows(result),
        (
            "mean distance",
            f"similar {result.mean_distance_similar:.4f}, dissimilar {result.mean_distance_dissimilar:.4f}",
        ),
    ]
    for label, value in rows:
        print(f"  {label:<24} {value}", file=stream)
    if result.intervals is not None:
        print(f"  intervals: {result.intervals.describe()}", file=stream)
    for warning in result.warnings:
        print(f"  warning: {warning}", file=stream)


def _interval_text(result, metric: str) -> str:
    """The text after a metric with a bootstrap interval, such as ' (95% CI 0.9912 to 0.9981)'; else ''."""
    interval = None if result.intervals is None else getattr(result.intervals, metric)
    if interval is None:
        return ""
    low, high = ("n/a" if math.isnan(end) else f"{end:.4f}" for end in (interval.low, interval.high))
    return f" ({result.intervals.confidence:.0%} CI {low} to {high})"


def _calibration_rows(result) -> list[tuple[str, str]]:
    """The Brier score and the expected calibration error of the model's p_similar, when it has one."""
    metrics = result.calibration
    if metrics is None:
        return []
    return [
        ("p_similar calibration", f"Brier {metrics.brier:.4f}, ECE {metrics.ece:.4f} ({metrics.bins} bins)")
    ]


def no_calibration_note(model: str) -> str:
    """What a model without a calibration lacks, and why it may have none."""
    return (
        f"note: {model} has no calibration, so no p_similar (made before models kept one, or trained "
        "without held-out pairs of both classes; retrain it to get one)"
    )


def _tar_row(result) -> tuple[str, str]:
    """The true acceptance rates at the common false-match rates, "n/a" where too few dissimilar pairs."""
    from siamese_core.error_budget import dissimilar_pairs_needed

    rates = " / ".join(f"{far * 100:g}%" for far in result.tar_at_far)
    values = " / ".join(
        f"n/a (needs {dissimilar_pairs_needed(far):,} dissimilar pairs)" if tar is None else f"{tar:.4f}"
        for far, tar in result.tar_at_far.items()
    )
    return f"TAR at FAR {rates}", values


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its start-up chatter (written straight to file descriptor 2) silenced.

    TensorFlow prints several log lines before its logging is set up, whatever TF_CPP_MIN_LOG_LEVEL
    says; the CLI promises one clear line on stderr for a user error, so they are discarded here.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
