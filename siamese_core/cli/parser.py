"""The `siamese` command's arguments: `build_parser`, with the types that read and check flag values."""

from __future__ import annotations

import argparse

from siamese_core.cluster import STRATEGIES
from siamese_core.config import parse_hidden_sizes
from siamese_core.errors import ConfigError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = parse_hidden_sizes(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 128,64; got {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive sizes such as 128,64; got {text!r}")
    return sizes


def _positive(text: str) -> int | None:
    """`text` as a whole number >= 1, else None."""
    try:
        number = int(text)
    except ValueError:
        return None
    return number if number >= 1 else None


def _batch_size(text: str) -> int | str:
    if text.strip() == "auto":
        return "auto"
    size = _positive(text)
    if size is None:
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
    count = _positive(text)
    if count is None:
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
