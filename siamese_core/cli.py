"""Command-line interface: `siamese train | evaluate | score | report | compare-models |
embed | duplicates | export` (also `python -m siamese_core`).

Exit status: 0 on success, 2 on bad input or settings (one line on stderr, no traceback), 1 on an
internal error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from siamese_core.cluster import STRATEGIES
from siamese_core.errors import ConfigError, SiameseError, listed
from siamese_core.outputs import check_outputs
from siamese_core.pairs import PairSet, SampleSet

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 128,64; got {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive sizes such as 128,64; got {text!r}")
    return sizes


def _batch_size(text: str) -> int | str:
    if text.strip() == "auto":
        return "auto"
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or auto; got {text!r}")
    return size


def _threshold(text: str) -> float:
    from siamese_core.evaluation import check_threshold

    try:
        return check_threshold(text)
    except ConfigError:  # worded for the command line
        raise argparse.ArgumentTypeError(f"expected a finite distance such as 0.5; got {text!r}") from None


def _threshold_target(text: str):
    from siamese_core.error_budget import ThresholdTarget

    try:
        return ThresholdTarget.parse(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_threshold_options(parser: argparse.ArgumentParser, *, on: str) -> None:
    """--threshold, or --threshold-at an error budget chosen on the labelled pairs that `on` names."""
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--threshold", type=_threshold, help="decision threshold (default: the model's)")
    choice.add_argument(
        "--threshold-at",
        type=_threshold_target,
        metavar="far=RATE|precision=SHARE",
        help="choose the threshold on " + on + ": the most permissive with at most this share of dissimilar "
        "pairs called similar (far=0.01: 1%% false matches), or the one calling the most similar pairs "
        "similar with at least this precision (precision=0.99); metrics at it flatter the model",
    )


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names; got {text!r}")
    return names


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}")
    return count


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--samples", metavar="SAMPLES.csv", help="samples file: DATA.csv then lists pairs by id"
    )
    group.add_argument("--class-column", help="DATA.csv is labeled samples with this class column")
    group.add_argument("--label-column", help="the pair label column (detected when omitted)")
    group.add_argument("--similar-label", metavar="VALUE", help="the label value that means 'similar'")
    group.add_argument("--id-column", help="the id column of the samples file")
    group.add_argument(
        "--id-columns", type=_names, help="pairs by reference: the two id columns, e.g. id_a,id_b"
    )
    group.add_argument("--left-columns", type=_names, help="first sample's feature columns, comma-separated")
    group.add_argument(
        "--right-columns", type=_names, help="second sample's feature columns, comma-separated"
    )
    group.add_argument("--drop-missing", action="store_true", help="drop rows with missing values")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `siamese` command."""
    parser = _Parser(prog="siamese", description="Train, evaluate and use Siamese similarity models.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model on a CSV and save it")
    train.add_argument("data", metavar="DATA.csv")
    train.add_argument("--out", required=True, metavar="MODEL.keras", help="where to save the model")
    _add_data_options(train)
    settings = train.add_argument_group("training (defaults: siamese_core.TrainConfig)")
    settings.add_argument("--epochs", type=int)
    settings.add_argument(
        "--batch-size", type=_batch_size, help="pairs per step, or auto (512, less on small data)"
    )
    settings.add_argument("--learning-rate", type=float)
    settings.add_argument("--margin", type=float)
    settings.add_argument("--hidden", type=_hidden_sizes, help="hidden sizes, e.g. 128,64")
    settings.add_argument("--embedding-dim", type=int)
    settings.add_argument("--dropout", type=float)
    settings.add_argument("--seed", type=int)
    settings.add_argument("--patience", type=int, help="early-stopping patience in epochs (0: off)")
    settings.add_argument("--validation-fraction", type=float)
    settings.add_argument(
        "--test-fraction",
        type=float,
        default=0.15,
        help="share of pairs held out for the metrics (without --test)",
    )
    settings.add_argument("--pairs-per-sample", type=int, default=8, help="labeled samples: pairs per sample")
    settings.add_argument(
        "--hard-negatives", action="store_true", help="labeled samples: nearest other-class"
    )
    settings.add_argument("--no-leakage-check", action="store_true", help="split pairs at random")
    settings.add_argument(
        "--test",
        metavar="TEST.csv",
        help="a separate test file (same columns as DATA.csv, other samples): no test split is made from "
        "DATA.csv and the metrics are the final model's on this file",
    )
    settings.add_argument(
        "--no-refit",
        action="store_true",
        help="keep the model trained on the training split instead of refitting it on all pairs",
    )
    settings.add_argument(
        "--report", metavar="REPORT.html", help="also write an HTML report of the test pairs"
    )
    settings.add_argument(
        "--log-dir",
        metavar="DIR",
        help="write TensorBoard logs into this new or empty folder: per epoch the loss, the validation "
        "loss and AUC and the validation distances' histograms, one run per training (selection/, refit/), "
        "and the held-out embeddings for the Embedding Projector",
    )
    scale = train.add_argument_group("scale out (see docs/scaling.md)")
    scale.add_argument(
        "--stream",
        action="store_true",
        help="read a wide pair file a chunk at a time (data larger than memory); implied for a folder "
        "of CSV or Parquet files and for a Parquet file",
    )
    scale.add_argument(
        "--chunk-rows", type=int, default=65_536, help="rows per chunk when streaming (memory holds ~one)"
    )
    scale.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="tf.distribute strategy: default (this process), mirrored (all GPUs of this machine), "
        "multi-worker (the machines named in TF_CONFIG; only the chief writes the model)",
    )

    evaluate = commands.add_parser("evaluate", help="metrics of a model on labeled pairs")
    evaluate.add_argument("model", metavar="MODEL.keras")
    evaluate.add_argument("data", metavar="DATA.csv")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_threshold_options(evaluate, on="the pairs of DATA.csv")
    _add_data_options(evaluate)

    score = commands.add_parser(
        "score",
        help="add distance and verdict columns to a pair CSV, a Parquet file, or a folder of them",
        description="Write the input rows plus 'distance' and 'similar' columns to one CSV. The input is read, "
        "scored and written a chunk at a time, so it may be larger than memory; a folder's CSV or Parquet "
        "files (same columns, read in name order) go into one output whose first column, source_file, "
        "names each row's file.",
    )
    score.add_argument("model", metavar="MODEL.keras")
    score.add_argument(
        "data", metavar="DATA", help="a pair CSV, a Parquet file, or a folder of CSV or of Parquet files"
    )
    score.add_argument("-o", "--output", required=True, metavar="OUT.csv")
    _add_threshold_options(
        score, on="the labels of DATA itself (one pair CSV with a label column, read whole)"
    )
    score.add_argument("--drop-missing", action="store_true", help="skip rows with missing values")
    score.add_argument(
        "--label-column", help="with --threshold-at: the pair label column (detected when omitted)"
    )
    score.add_argument(
        "--similar-label", metavar="VALUE", help="with --threshold-at: the label value of 'similar'"
    )

    table_help = (
        "a samples table: one sample per row, a column per feature of the model (by name, any order); a CSV, "
        "a Parquet file, or a folder of CSV or of Parquet files"
    )
    embed = commands.add_parser(
        "embed",
        help="write each row's embedding to Parquet, for a vector database of your own",
        description="Write one row per sample to Parquet: 'row' (the table's row number), the ids with "
        "--id-column, then embedding_0, embedding_1, ... The table is read, embedded and written a block "
        "at a time, so it may be larger than memory.",
    )
    embed.add_argument("model", metavar="MODEL.keras")
    embed.add_argument("data", metavar="TABLE", help=table_help)
    embed.add_argument("-o", "--output", required=True, metavar="OUT.parquet")
    embed.add_argument("--id-column", help="the column of ids, written after 'row'")

    duplicates = commands.add_parser(
        "duplicates",
        help="find duplicate candidates: the pairs of rows whose embeddings are closest",
        description="Embed every row, find each row's nearest rows, and write the pairs at or below the "
        "threshold (or the N closest) to a CSV, closest first: row_a, id_a, row_b, id_b (with --id-column), "
        "distance, and p_similar when the model has a calibration. Within one table each pair once, never "
        "a row with itself; with --against, pairs of a row of each table. Small tables are searched "
        "exactly; large ones with a FAISS IVF index whose recall is measured on sampled rows and printed.",
    )
    duplicates.add_argument("model", metavar="MODEL.keras")
    duplicates.add_argument("data", metavar="TABLE", help=table_help)
    duplicates.add_argument("-o", "--output", required=True, metavar="OUT.csv")
    duplicates.add_argument(
        "--against", metavar="OTHER", help="another samples table: only pairs of a row of each table"
    )
    kept = duplicates.add_mutually_exclusive_group()
    kept.add_argument(
        "--threshold", type=_threshold, help="keep pairs at or below this distance (default: the model's)"
    )
    kept.add_argument("--top", type=_count, metavar="N", help="keep the N closest pairs instead")
    duplicates.add_argument(
        "--k",
        type=_count,
        default=10,
        help="nearest rows looked up per row first (default 10); rows with more within the distance are "
        "searched again by radius, so K sets the speed, not the result",
    )
    duplicates.add_argument("--id-column", help="the column of ids (in both tables), written beside the rows")

    report = commands.add_parser("report", help="write a standalone HTML report of a model on labeled pairs")
    report.add_argument("model", metavar="MODEL.keras")
    report.add_argument("data", metavar="DATA.csv")
    report.add_argument("-o", "--output", required=True, metavar="REPORT.html")
    _add_threshold_options(report, on="the pairs of DATA.csv")
    _add_data_options(report)

    compare = commands.add_parser(
        "compare-models",
        help="compare two models on the same labeled pairs: both ROC AUCs and their difference",
        description="Measure two models on the same labeled pairs, each at its own saved threshold, and "
        "give the difference of their ROC AUCs (B - A) with a paired bootstrap interval resampling the "
        "samples: both models are measured on every resample.",
    )
    compare.add_argument("model_a", metavar="A.keras", help="model A (such as the model in use)")
    compare.add_argument("model_b", metavar="B.keras", help="model B (such as a new model)")
    compare.add_argument("data", metavar="TEST.csv", help="labeled pairs with both models' features")
    compare.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    compare.add_argument(
        "--report",
        metavar="REPORT.html",
        help="also write a standalone HTML page: the verdict, the table, the overlaid ROC curves and each model's distance histograms",
    )
    _add_data_options(compare)

    export = commands.add_parser(
        "export",
        help="export a model for serving: a TensorFlow SavedModel with distance and embed signatures",
        description="Write MODEL.keras as a TensorFlow SavedModel folder, ready for TensorFlow Serving "
        "(docs/serving.md): the signature 'distance' (a, b: float32 rows of raw features -> distance, "
        "similar), also the default, and 'embed' (x -> embedding); assets.extra/siamese_core.json holds "
        "the feature names in input order, the threshold and the margin. DIR must be new or empty.",
    )
    export.add_argument("model", metavar="MODEL.keras")
    export.add_argument(
        "--format", choices=("saved_model",), default="saved_model", help="saved_model (TensorFlow Serving)"
    )
    export.add_argument("folder", metavar="DIR", help="the folder to make (new or empty)")
    return parser


def load_labeled(args, *, seed: int = 0):
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
    return data.load_pair_csv(args.data, **_pair_options(args))


def _pair_options(args) -> dict:
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


def _labeled_pairs(args, seed: int = 0):
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet

    loaded = load_labeled(args)
    if isinstance(loaded, SampleSet):
        return make_pairs(loaded, seed=seed)
    return loaded


class _ProgressPrinter:
    """A progress line on stderr: redrawn per batch on a terminal, one line per epoch otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now: a redirected stderr (tests, embedding) is used
        self.live = self.stream.isatty()

    def __call__(self, progress):
        width = 30
        done = int(width * progress.fraction)
        bar = "#" * done + "-" * (width - done)
        text = f"epoch {progress.epoch}/{progress.epochs} [{bar}] loss {progress.loss:.4f}"
        if progress.val_loss is not None:
            text += f" val_loss {progress.val_loss:.4f}"
        if self.live:
            self.stream.write("\r" + text + ("\n" if progress.stage == "epoch" else ""))
        elif progress.stage == "epoch":
            self.stream.write(text + "\n")
        self.stream.flush()


def _print_metrics(result, stream=None) -> None:
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


def _no_calibration_note(model: str) -> str:
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


def _run_train(args) -> int:
    out = Path(args.out)
    if out.suffix != ".keras":
        raise ConfigError(f"--out must end in .keras. Received: {args.out}")
    from siamese_core.config import TrainConfig

    settings = {
        "hidden": args.hidden,
        "embedding_dim": args.embedding_dim,
        "dropout": args.dropout,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "margin": args.margin,
        "seed": args.seed,
        "validation_fraction": args.validation_fraction,
        "early_stopping_patience": args.patience,
    }
    config = TrainConfig(**{key: value for key, value in settings.items() if value is not None})
    from siamese_core.cluster import worker_role

    role = worker_role(args.strategy)  # a wrong TF_CONFIG is reported before anything else
    if role.is_chief:  # the only worker that writes: the others may not even have the output folder
        check_outputs(
            {"--out": args.out, "--report": args.report},
            {"data": args.data, "samples": args.samples, "test": args.test},
        )
    log = _training_log(args) if role.is_chief else None  # the only worker that writes
    on_progress, samples = _with_log(_ProgressPrinter(), log), None
    if _streams(args):
        outcome = _fit_streamed(args, config, on_progress)
    elif args.strategy != "default":
        outcome = _fit_distributed(args, config, on_progress)
    else:
        data = load_labeled(args)  # bad settings and data are reported before TensorFlow's slow import
        test = _load_test(args, data)
        _describe_loaded(data)
        splits = _splits(args, config, data, test)
        n_pairs = data.n_pairs if isinstance(data, PairSet) else None
        _print_plan(args, splits.describe(), n_pairs, splits.held_out)
        import_tensorflow_quietly()
        from siamese_core.pipeline import fit

        outcome = fit(
            data,
            config,
            test=test,
            test_fraction=0.0 if test is not None else args.test_fraction,
            leakage_aware=not args.no_leakage_check,
            refit=not args.no_refit,
            pairs_per_sample=args.pairs_per_sample,
            hard_negatives=args.hard_negatives,
            on_progress=on_progress,
            splits=splits,
        )
        samples = data if isinstance(data, SampleSet) and test is None else None
    print(outcome.describe_splits(), file=sys.stderr)
    if outcome.calibration is not None:
        print(f"p_similar: {outcome.calibration.describe()}", file=sys.stderr)
    for warning in outcome.result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    result = outcome.result
    if not role.is_chief:
        print(f"{role.describe()}: {_trained(outcome)}; the chief writes the model")
        return 0
    outcome.bundle.save(out)
    print(f"{_trained(outcome)}; saved {out}")
    if log is not None:
        _write_log_end(args, log, outcome, samples)
    if outcome.test is None:
        print("no test pairs with both classes: no test metrics (raise --test-fraction, or give --test)")
    else:
        print(f"held-out metrics of {outcome.measured} (threshold chosen on {outcome.threshold_source}):")
        _print_metrics(outcome.test)
        if args.report:
            from siamese_core.report import render_report, write_report

            html = render_report(
                outcome.test,
                outcome.test_distances,
                outcome.test_pairs.labels,
                title=f"Held-out metrics of {outcome.measured}",
                model_info=_model_info(outcome.bundle),
                history=(outcome.selection or result).history,  # the training whose metrics these are
                calibration=outcome.bundle.calibration,
                rows=outcome.test_pairs.rows
                if (outcome.test_pairs.rows >= 0).all()
                else None,  # -1: made pairs
                data_file=Path(args.test or args.data).name,
                split=outcome.describe_splits(),
            )
            write_report(args.report, html)
            print(f"report written to {args.report}")
    return 0


def _training_log(args):
    """The TensorBoard log of --log-dir (`siamese_core.tensorboard.TrainingLog`), checked before any work;
    None without it."""
    if not args.log_dir:
        return None
    from siamese_core.tensorboard import TrainingLog

    log_dir = Path(args.log_dir).absolute()
    for flag, path in (("--out", args.out), ("--report", args.report)):
        if path and Path(path).absolute() == log_dir:
            raise ConfigError(
                f"--log-dir {args.log_dir} is also the path of {flag}; give each output its own path"
            )
    for role, path in (("data", args.data), ("samples", args.samples), ("test", args.test)):
        if path and Path(path).is_dir() and Path(path).resolve() in log_dir.resolve().parents:
            raise ConfigError(
                f"--log-dir {args.log_dir} is inside the {role} folder {path}, whose files are read; choose a "
                "folder outside it for --log-dir"
            )
    return TrainingLog(args.log_dir, what="--log-dir")


def _with_log(printer, log):
    """The progress callback: the progress line, and the TensorBoard log when there is one."""
    if log is None:
        return printer

    def report(progress):
        printer(progress)
        log(progress)

    return report


def _write_log_end(args, log, outcome, samples) -> None:
    """The held-out embeddings for the Embedding Projector, then the log closed and where it is."""
    projector = log.write_held_out(outcome, separate_test=bool(args.test), samples=samples)
    log.close()
    projected = f"; Embedding Projector: {projector.describe()}" if projector is not None else ""
    print(
        f"TensorBoard logs in {args.log_dir} (runs: {', '.join(log.runs) or 'none'}){projected}; view them "
        f"with: tensorboard --logdir {args.log_dir}"
    )


def _run_export(args) -> int:
    from siamese_core.export import check_export_folder

    check_export_folder(args.folder, model_path=args.model, what="DIR")
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.export import export_saved_model

    bundle = load_model(args.model)
    exported = export_saved_model(bundle, args.folder, model_path=args.model, what="DIR")
    print(
        f"exported {Path(args.model).name} as a TensorFlow SavedModel to {args.folder}: signatures "
        f"distance(a, b) (the default) and embed(x), each row {exported.n_features} float32 features in the "
        f"order {exported.metadata_path} lists; serve the folder as version 1 of a model "
        "(docs/serving.md)"
    )
    return 0


def _trained(outcome) -> str:
    """How long the saved model trained, in words."""
    result = outcome.result
    if outcome.selection is not None:
        return (
            f"selection kept epoch {outcome.selection.best_epoch} of {outcome.selection.epochs_run}, then refit "
            f"on all {outcome.final_pairs:,} pairs for {result.steps_run:,} steps"
        )
    return f"trained {result.epochs_run} epochs (kept epoch {result.best_epoch})"


def _load_test(args, data):
    """The pairs of `--test` (read with the same options as DATA.csv), features in DATA.csv's order; None
    without it. Labeled samples are paired as the training samples are."""
    if not args.test:
        return None
    from siamese_core.pairing import prepare_test_pairs
    from siamese_core.pairs import SampleSet

    test = load_labeled(argparse.Namespace(**{**vars(args), "data": args.test}))
    if isinstance(test, SampleSet) != isinstance(data, SampleSet):
        kind = "labeled samples" if isinstance(data, SampleSet) else "pairs"
        raise ConfigError(f"--test {args.test} must hold {kind}, as {args.data} does")
    return prepare_test_pairs(
        test,
        data.feature_names,
        pairs_per_sample=args.pairs_per_sample,
        hard_negatives=args.hard_negatives,
        seed=args.seed or 0,
        what=f"the training data ({Path(args.data).name})",
    )


def _splits(args, config, data, test):
    from siamese_core.splits import make_splits

    return make_splits(
        data,
        validation_fraction=config.validation_fraction,
        test_fraction=0.0 if test is not None else args.test_fraction,
        seed=config.seed,
        leakage_aware=not args.no_leakage_check,
        pairs_per_sample=args.pairs_per_sample,
        hard_negatives=args.hard_negatives,
    )


def _print_plan(args, split_text: str, n_pairs: int | None, held_out) -> None:
    """How the pairs will be used, on stderr, before training starts."""
    from siamese_core.splits import plan_text

    text = plan_text(
        split_text,
        n_pairs,
        refit=not args.no_refit,
        held_out=bool(held_out),
        test_source=Path(args.test).name if args.test else None,
    )
    print(f"plan: {text}", file=sys.stderr)


def _streams(args) -> bool:
    """Whether `train` streams its data: asked for, or a folder or a Parquet file."""
    from siamese_core.sources import PARQUET_SUFFIXES

    path = Path(args.data)
    streamed = args.stream or path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES
    if streamed and (args.samples or args.class_column or args.id_columns):
        raise ConfigError(
            "streaming (--stream, a folder or a Parquet file) reads wide pair files, one pair per row; "
            "labeled samples and pairs by reference are paired in memory: drop --stream, or write the pairs "
            "out as a wide pair file"
        )
    return streamed


def _fit_streamed(args, config, on_progress):
    """Train on a file or folder read a chunk at a time (`siamese_core.streaming.PairStream`)."""
    from siamese_core.streaming import PairStream

    stream = PairStream(
        args.data,
        **_pair_options(args),
        chunk_rows=args.chunk_rows,
        validation_fraction=config.validation_fraction,
        test_fraction=0.0 if args.test else args.test_fraction,
        seed=config.seed,
        leakage_aware=not args.no_leakage_check,
    )
    scan = stream.scan()  # every chunk validated before TensorFlow starts
    test = _load_test(args, scan)
    _describe_loaded(scan)
    from siamese_core.splits import describe_counts

    held_out = any(scan.split_counts.get(name) for name in ("validation", "test", "dropped"))
    strategy = "samples" if stream.leakage_aware else "random"
    _print_plan(args, describe_counts(scan.split_counts, strategy), scan.n_pairs, held_out)
    return _fit_with_strategy(args, config, stream, test, on_progress)


def _fit_distributed(args, config, on_progress):
    """Train loaded data with a distribution strategy: the usual splits, served as a stream."""
    data = load_labeled(args)
    test = _load_test(args, data)
    _describe_loaded(data)
    splits = _splits(args, config, data, test)
    if isinstance(data, PairSet):
        all_pairs = data
    else:
        from siamese_core.pairing import make_pairs

        all_pairs = make_pairs(
            data, pairs_per_sample=args.pairs_per_sample, hard_negatives=args.hard_negatives, seed=config.seed
        )
    _print_plan(args, splits.describe(), all_pairs.n_pairs, splits.held_out)
    import_tensorflow_quietly()
    from siamese_core.distributed import MemoryPairStream

    stream = MemoryPairStream(
        splits.train,
        splits.validation,
        splits.test,
        chunk_rows=args.chunk_rows,
        all_pairs=all_pairs,
        dropped=splits.dropped_pairs,
        leakage_aware=not args.no_leakage_check,
    )
    return _fit_with_strategy(args, config, stream, test, on_progress)


def _fit_with_strategy(args, config, stream, test, on_progress):
    import_tensorflow_quietly()
    from siamese_core.distributed import make_strategy
    from siamese_core.pipeline import fit_stream

    strategy = make_strategy(args.strategy)
    return fit_stream(
        stream, config, test=test, refit=not args.no_refit, strategy=strategy, on_progress=on_progress
    )


def _describe_loaded(data) -> None:
    info = data.info
    if info is None:
        return
    if info.label_mapping is not None:
        print(f"labels: {info.label_mapping.describe()} ({info.label_mapping.reason})", file=sys.stderr)
    if info.ignored_columns:
        print(f"ignored columns: {listed(info.ignored_columns, 10)}", file=sys.stderr)
    for warning in info.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _model_info(bundle) -> dict:
    return {
        "features": f"{bundle.n_features} ({', '.join(bundle.feature_names[:6])}"
        f"{', ...' if bundle.n_features > 6 else ''})",
        "margin": bundle.margin,
        "threshold": round(bundle.threshold, 6),
        "label mapping": bundle.label_mapping,
        "training settings": bundle.train_config,
        "versions": bundle.versions,
        "created": bundle.created,
    }


def _evaluate(args):
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.evaluation import evaluate_distances
    from siamese_core.intervals import pair_sample_ids
    from siamese_core.pipeline import score_pairs

    bundle = load_model(args.model)
    pairs = _labeled_pairs(args)
    distances = score_pairs(bundle, pairs)
    if bundle.calibration is None:
        print(_no_calibration_note(Path(args.model).name), file=sys.stderr)
    threshold = bundle.threshold if args.threshold is None else args.threshold
    if args.threshold_at is not None:
        threshold = args.threshold_at.threshold(distances, pairs.labels)
        print(
            f"threshold {threshold!r} chosen for {args.threshold_at.describe()} on the {pairs.n_pairs:,} "
            f"pairs of {Path(args.data).name}; chosen on the pairs it is measured on, it flatters the model",
            file=sys.stderr,
        )
    return (
        bundle,
        pairs,
        distances,
        # Bootstrap intervals resampling the samples (equal feature vectors), not the pairs alone.
        evaluate_distances(
            distances,
            pairs.labels,
            threshold=threshold,
            margin=bundle.margin,
            intervals=True,
            sample_ids=pair_sample_ids(pairs.left, pairs.right),
            calibration=bundle.calibration,
        ),
    )


def _run_evaluate(args) -> int:
    _, _, _, result = _evaluate(args)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        _print_metrics(result)
    return 0


def _run_report(args) -> int:
    from siamese_core.report import render_report, write_report

    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data, "samples": args.samples})
    bundle, pairs, distances, result = _evaluate(args)
    html = render_report(
        result,
        distances,
        pairs.labels,
        title=f"Siamese model report: {Path(args.model).name} on {Path(args.data).name}",
        model_info=_model_info(bundle) | _threshold_used(args, result.threshold),
        history=bundle.history,
        calibration=bundle.calibration,
        rows=pairs.rows,
        data_file=Path(args.data).name,
        split=bundle.metrics.get("split") if isinstance(bundle.metrics.get("split"), str) else None,
    )
    write_report(args.output, html)
    print(f"report written to {args.output}")
    return 0


def _threshold_used(args, threshold: float) -> dict:
    """The report's line on a threshold chosen by --threshold-at; nothing otherwise."""
    if args.threshold_at is None:
        return {}
    return {
        "threshold used": f"{threshold:.6g}, chosen for {args.threshold_at.describe()} on the pairs of this "
        "report (chosen on the pairs it is measured on, it flatters the model)"
    }


def _labelled_to_choose_on(args, bundle):
    """Score's DATA read whole with its labels, to choose --threshold-at on: (distances, pairs).

    Scoring reads no labels and may stream a folder or a Parquet file; choosing a threshold needs the
    labels of one pair CSV, so anything else is refused with the way to choose it on labelled pairs.
    """
    from siamese_core import data
    from siamese_core.pipeline import score_pairs
    from siamese_core.sources import PARQUET_SUFFIXES

    target, path = args.threshold_at, Path(args.data)
    advice = (
        f"choose the threshold on labelled pairs with `siamese evaluate MODEL LABELLED.csv --threshold-at "
        f"{target.kind}={target.value:g}`, then score with the threshold it prints as --threshold"
    )
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        kind = "a folder" if path.is_dir() else "a Parquet file"
        raise ConfigError(
            f"--threshold-at on score chooses the threshold on the labels of one pair CSV, read whole; "
            f"{path.name} is {kind}: {advice}"
        )
    if args.label_column is None and data.detect_label_column(data.read_header(args.data)) is None:
        raise ConfigError(
            f"--threshold-at chooses the threshold on labelled pairs, and {path.name} has no label column "
            f"(such as label, y or same; name another with --label-column): {advice}"
        )
    pairs = data.load_pair_csv(
        args.data,
        label_column=args.label_column,
        similar_label=args.similar_label,
        drop_missing=args.drop_missing,
    )
    return score_pairs(bundle, pairs), pairs


def _run_score(args) -> int:
    if args.threshold_at is None and (args.label_column or args.similar_label):
        raise ConfigError(
            "--label-column and --similar-label serve --threshold-at only: score reads no labels otherwise"
        )
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.scoring import score_file

    bundle = load_model(args.model)
    threshold = bundle.threshold if args.threshold is None else args.threshold
    chosen = ""
    if args.threshold_at is not None:
        distances, pairs = _labelled_to_choose_on(args, bundle)
        threshold = args.threshold_at.threshold(distances, pairs.labels)
        chosen = (
            f" (chosen for {args.threshold_at.describe()} on the {pairs.n_pairs:,} labelled pairs of "
            f"{Path(args.data).name}: its verdicts on those very pairs flatter the model)"
        )
    written = score_file(bundle, args.data, args.output, threshold=threshold, drop_missing=args.drop_missing)
    if written.columns.p_similar is None:
        print(_no_calibration_note(Path(args.model).name), file=sys.stderr)
    renamed = written.columns.renamed()
    print(
        f"scored {written.n_scored:,} pairs at threshold {threshold:.4f}{chosen}; wrote {args.output}"
        + (f" ({renamed})" if renamed else "")
    )
    return 0


def _run_compare_models(args) -> int:
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.comparison import compare_models

    if args.report:
        check_outputs(
            {"--report": args.report},
            {"A.keras": args.model_a, "B.keras": args.model_b, "data": args.data, "samples": args.samples},
        )
    bundles = [load_model(path) for path in (args.model_a, args.model_b)]
    names = (Path(args.model_a).name, Path(args.model_b).name)
    comparison = compare_models(*bundles, _labeled_pairs(args), names=names)
    if args.json:
        print(json.dumps(comparison.to_dict()))
    else:
        _print_comparison(comparison, Path(args.data).name)
    if args.report:
        from siamese_core.report import render_comparison_report, write_report

        write_report(args.report, render_comparison_report(comparison, data_file=Path(args.data).name))
        print(f"report written to {args.report}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _print_comparison(comparison, data_name: str, stream=None) -> None:
    """Both models' AUCs with their intervals, the difference with its paired interval, and the verdict."""
    stream = stream or sys.stdout
    auc, first = comparison.auc, comparison.results[0]
    for letter, name, result in zip("AB", comparison.names, comparison.results, strict=True):
        print(f"model {letter}: {name} (threshold {result.threshold:.4f})", file=stream)
    print(
        f"pairs: {first.n_pairs:,} of {data_name} ({first.n_similar:,} similar, {first.n_dissimilar:,} "
        "dissimilar), the same for both models",
        file=stream,
    )
    for label, value in comparison.summary():
        print(f"  {label:<24} {value}", file=stream)
    print(f"  intervals: {auc.describe()}", file=stream)
    for letter, result in zip("AB", comparison.results, strict=True):
        for warning in result.warnings:
            print(f"  warning (model {letter}): {warning}", file=stream)
    print(f"verdict: {auc.verdict()}", file=stream)


def _run_embed(args) -> int:
    from siamese_core.embedding import check_parquet_output

    check_parquet_output(args.output, flag="-o")
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.embedding import write_embeddings

    bundle = load_model(args.model)
    written = write_embeddings(bundle, args.data, args.output, id_column=args.id_column)
    width = len(written.columns) - 1 - (args.id_column is not None)
    print(f"embedded {written.n_rows:,} rows ({width} dimensions); wrote {args.output}")
    return 0


def _run_duplicates(args) -> int:
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data, "other table": args.against})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.duplicates import write_duplicates

    bundle = load_model(args.model)
    found = write_duplicates(
        bundle,
        args.data,
        args.output,
        against=args.against,
        threshold=args.threshold,
        top=args.top,
        k=args.k,
        id_column=args.id_column,
    )
    if bundle.calibration is None:
        print(_no_calibration_note(Path(args.model).name), file=sys.stderr)
    if args.threshold is None and args.top is None:
        print(
            f"note: pairs kept at the model's threshold, {bundle.threshold:.6g} (set one with --threshold, or "
            "keep the N closest pairs with --top N)",
            file=sys.stderr,
        )
    print(f"{found.describe()}; wrote {args.output}")
    return 0


def flag_words(name: str, value: str) -> str:
    """How the command line names a setting that fixes an error (`SiameseError.worded`): its flag."""
    flag = "--" + name.replace("_", "-")
    return f"pass {flag}" if value == "True" else f"pass {flag} ..."


COMMANDS = {
    "train": _run_train,
    "evaluate": _run_evaluate,
    "score": _run_score,
    "embed": _run_embed,
    "duplicates": _run_duplicates,
    "report": _run_report,
    "compare-models": _run_compare_models,
    "export": _run_export,
}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SiameseError as error:
        print(f"siamese: error: {error.worded(flag_words)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("siamese: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so on one line; SIAMESE_DEBUG=1 shows the traceback
        if os.environ.get("SIAMESE_DEBUG"):
            raise
        print(
            f"siamese: internal error: {type(error).__name__}: {error} (set SIAMESE_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
