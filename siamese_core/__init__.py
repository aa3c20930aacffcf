"""siamese_core: learn a similarity metric on feature vectors with a Siamese MLP and the contrastive loss.

Everything is re-exported here, flat. Names load on first use, so `import siamese_core` is instant and
TensorFlow is imported only when a name that needs it (the model, training, model files) is used.

    from siamese_core import load_pair_csv, fit, TrainConfig
    pairs = load_pair_csv("pairs.csv")
    outcome = fit(pairs, TrainConfig(epochs=20))
    outcome.bundle.save("model.keras")
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "siamese_core.errors": [
        "SiameseError",
        "DataError",
        "LabelError",
        "ConfigError",
        "TrainingError",
        "ModelFileError",
    ],
    "siamese_core.pairs": [
        "PairSet",
        "SampleSet",
        "LoadInfo",
        "LabelMapping",
        "SIMILAR",
        "DISSIMILAR",
        "align_features",
        "match_features",
    ],
    "siamese_core.data": [
        "read_csv",
        "load_pair_csv",
        "load_samples_csv",
        "load_pairs_by_reference",
        "map_labels",
        "detect_sides",
        "detect_label_column",
    ],
    "siamese_core.pairing": ["make_pairs", "prepare_test_pairs"],
    "siamese_core.splits": ["Splits", "make_splits", "plan_text", "split_pairs", "split_samples"],
    "siamese_core.streaming": ["PairStream", "StreamScan", "ColumnStatistics"],
    "siamese_core.cluster": ["STRATEGIES", "WorkerRole", "worker_role"],
    "siamese_core.evaluation": [
        "EvalResult",
        "ThresholdMetrics",
        "evaluate_distances",
        "metrics_at_threshold",
        "best_accuracy_threshold",
        "equal_error_rate",
        "hardest_pairs",
        "check_threshold",
        "COMMON_FARS",
    ],
    "siamese_core.error_budget": [
        "ThresholdTarget",
        "threshold_at_far",
        "threshold_at_precision",
        "tar_at_far",
        "dissimilar_pairs_needed",
    ],
    "siamese_core.intervals": [
        "MetricIntervals",
        "PairBootstrap",
        "bootstrap_intervals",
        "pair_sample_ids",
    ],
    "siamese_core.calibration": [
        "Calibration",
        "CalibrationMetrics",
        "fit_calibration",
        "calibration_metrics",
        "brier_score",
        "expected_calibration_error",
        "reliability_table",
    ],
    "siamese_core.comparison": [
        "AucComparison",
        "ModelComparison",
        "compare_aucs",
        "compare_models",
        "compare_distances",
        "model_distances",
    ],
    "siamese_core.figures": [
        "distance_histogram",
        "roc_figure",
        "loss_figure",
        "embedding_figure",
        "confusion_figure",
        "roc_comparison_figure",
        "histogram_comparison_figure",
        "reliability_figure",
    ],
    "siamese_core.outputs": ["atomic_write", "check_output", "check_outputs"],
    "siamese_core.report": ["render_report", "write_report"],
    "siamese_core.demo": ["digits_pairs_frame", "digits_samples_frame", "digits_reference_pairs_frame"],
    # These import TensorFlow.
    "siamese_core.losses": ["contrastive_loss", "ContrastiveLoss"],
    "siamese_core.model": ["EuclideanDistance", "build_encoder", "build_siamese_model"],
    "siamese_core.config": ["TrainConfig"],
    "siamese_core.training": ["TrainProgress", "TrainResult", "train"],
    "siamese_core.bundle": ["SiameseBundle", "Comparison", "load_model"],
    "siamese_core.pipeline": [
        "FitOutcome",
        "fit",
        "fit_stream",
        "score_pairs",
    ],
    "siamese_core.distributed": ["MemoryPairStream", "make_strategy", "train_stream"],
    "siamese_core.scoring": ["ScoreColumns", "ScoredFile", "score_file", "score_frame"],
    "siamese_core.embedding": [
        "EmbeddedBlock",
        "EmbeddedFile",
        "sample_features",
        "table_embeddings",
        "embeddings_frame",
        "write_embeddings",
    ],
    "siamese_core.export": ["ExportedModel", "export_saved_model", "check_export_folder"],
    "siamese_core.tensorboard": ["TrainingLog", "ProjectorFiles", "check_log_dir"],
    "siamese_core.duplicates": [
        "Duplicates",
        "NearestRows",
        "SearchInfo",
        "find_duplicates",
        "write_duplicates",
    ],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *_MODULE_OF]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'siamese_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
