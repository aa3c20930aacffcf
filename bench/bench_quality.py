"""Quality on unseen data: our defaults against the textbook Keras recipe, trained in the same run.

For each data set the SAMPLES are split in two halves (stratified by class, disjoint, fixed seed) and
pairs are made inside each half with `siamese_core.pairing.make_pairs` (each sample anchors k pairs,
half similar, half dissimilar). Both sides train on the training half's pairs only; every figure is
measured on the test half's pairs, whose samples neither model has seen.

- Ours, as a user runs it: `siamese_core.pipeline.fit(train_pairs, TrainConfig(seed=...))` on raw
  float32 features (the model scales them itself), then the bundle's distances on the test pairs; AUC,
  and accuracy at the threshold saved in the bundle; beside it, the selection model's accuracy at the
  same threshold (which it chose on validation pairs), to check that the threshold carries over to the
  model refit on all pairs. Seconds: the `fit` call.
- The textbook recipe (`common.build_textbook_model`: MLP 128-128-128, `Lambda` distance, contrastive
  loss, RMSprop, compiled as a competent user would: `steps_per_execution=64`, and `jit_compile=True`
  when training pairs x epochs >= `siamese_core.training.XLA_MIN_PAIR_STEPS` (500,000), the rule ours
  uses to decide whether XLA's compilation repays itself; below it, compiling each small row's new
  model would cost the textbook seconds that a user would not spend): inputs divided by the largest
  absolute value of the training pairs, `model.fit` on all training pairs with batch 128 for 20
  epochs; AUC on the test pairs, and accuracy at the threshold of best accuracy on its own training
  pairs (the recipe has no validation split). Seconds: building, compiling and fitting the model.

Accuracy is compared under one rule for both: each model at ITS best threshold on the test pairs (the
columns "best accuracy"; what the distances can separate at a single threshold, whatever rule picked
it). The accuracies at each side's own threshold (ours: saved by `fit`, chosen on validation pairs; the
textbook: best on its training pairs) are shown beside them but are not compared, since the two
thresholds come from different pairs.

Both sides train once on a tiny throwaway set before the first timed row, so neither pays TensorFlow's
one-time start-up, and the two take turns going first (`--order alternate`, the default: ours first on
rows where seed + row number is even, the textbook first on the others, so seeds 0 and 1 time the large
row in both orders). Labels: Y = 0 similar, Y = 1 dissimilar.

Data sets: scikit-learn's bundled breast cancer, wine and iris, and a harder synthetic set (4,000
samples, 32 features, 20 classes) with k = 2, 4 and 8 pairs per sample ("small" rows); and one "large"
row: 75,000 synthetic samples (37,500 in each half) with k = 8, about 300,000 training pairs.

    python bench/bench_quality.py [--seed 0] [--rows small|large|all] [--only NAME]
        [--order alternate|ours-first|textbook-first]
        [--config key=value ...] [--fit key=value ...] [--textbook-epochs 20] [--save-pairs DIR]

`--config` sets `TrainConfig` fields and `--fit` passes keyword arguments to `fit` (values are Python
literals, else text), so alternatives can be compared without editing this file, e.g.
`--config batch_size=128 --fit test_fraction=0.0`. `--save-pairs DIR` also writes each pair set as a wide
pair CSV (`NAME_kK_train.csv`, `NAME_kK_test.csv`: label, a_f0.., b_f0..) to run the CLI on by hand.
"""

from __future__ import annotations

import argparse
import ast
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import TEXTBOOK_STEPS_PER_EXECUTION, build_textbook_model, machine, quiet_tensorflow

SMALL_PAIRS_PER_SAMPLE = (2, 4, 8)
LARGE_PAIRS_PER_SAMPLE = 8
PREDICT_BATCH = 4096


@dataclass
class DataSet:
    """Labeled samples of one data set, before the split.

    Attributes:
        name: Short name used in the table and in file names.
        features: (n, d) float32, raw (unscaled) features.
        classes: (n,) class of each sample.
        large: Whether this is the large row.
    """

    name: str
    features: np.ndarray
    classes: np.ndarray
    large: bool = False


@dataclass
class Side:
    """What one side (ours or the textbook) achieved on one row.

    Attributes:
        auc: ROC AUC on the test pairs.
        accuracy: Accuracy on the test pairs at the side's own threshold.
        best_accuracy: Accuracy on the test pairs at the side's best threshold on those pairs (the rule
            under which the two sides' accuracies are compared).
        seconds: Wall-clock training seconds.
        selection_accuracy: Ours: the selection model's accuracy on the test pairs at the same (saved)
            threshold, which it chose; None without a refit or for the textbook.
    """

    auc: float
    accuracy: float
    best_accuracy: float
    seconds: float
    selection_accuracy: float | None = None


@dataclass
class Row:
    """One (data set, k) row of the table."""

    name: str
    pairs_per_sample: int
    train_samples: int
    test_samples: int
    train_pairs: int
    test_pairs: int
    final_pairs: int
    ours: Side
    textbook: Side
    splits: str
    large: bool
    first: str


def load_data_sets(which: str, only: str | None) -> list[DataSet]:
    """The data sets of the chosen rows.

    Args:
        which: "small", "large" or "all".
        only: Keep the data sets whose name contains this text; None keeps all.

    Returns:
        The data sets, small ones first.
    """
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification

    def synthetic(n_samples: int, random_state: int):
        # Gaussian clusters, one per class, each sample drawn around its class centre with its own noise.
        return make_classification(
            n_samples=n_samples,
            n_features=32,
            n_informative=16,
            n_redundant=0,
            n_classes=20,
            n_clusters_per_class=1,
            class_sep=1.0,
            random_state=random_state,
        )

    loaders = []
    if which in ("small", "all"):
        loaders += [
            ("breast_cancer", lambda: load_breast_cancer(return_X_y=True), False),
            ("wine", lambda: load_wine(return_X_y=True), False),
            ("iris", lambda: load_iris(return_X_y=True), False),
            ("synthetic", lambda: synthetic(4_000, random_state=0), False),
        ]
    if which in ("large", "all"):
        loaders.append(("synthetic_large", lambda: synthetic(75_000, random_state=1), True))
    data_sets = []
    for name, load, large in loaders:
        if only is not None and only not in name:
            continue
        features, classes = load()
        data_sets.append(DataSet(name, features.astype(np.float32), classes.astype(str), large))
    return data_sets


def split_samples_in_halves(data: DataSet, seed: int):
    """The samples in a training and a test half, stratified by class.

    Args:
        data: The data set.
        seed: Seed of the split.

    Returns:
        (train, test) `SampleSet`s with disjoint samples; rows keep their place in the whole set.
    """
    from sklearn.model_selection import train_test_split

    from siamese_core.pairs import SampleSet

    samples = SampleSet(
        features=data.features,
        classes=data.classes,
        feature_names=[f"f{i}" for i in range(data.features.shape[1])],
    )
    train_index, test_index = train_test_split(
        np.arange(samples.n_samples), test_size=0.5, stratify=data.classes, random_state=seed
    )
    return samples.subset(np.sort(train_index)), samples.subset(np.sort(test_index))


def run_ours(train, test, seed: int, config_overrides: dict, fit_overrides: dict):
    """Our defaults as a user runs them: `fit`, then the bundle on the test pairs.

    Args:
        train: Training pairs.
        test: Test pairs (samples `fit` never saw).
        seed: `TrainConfig.seed`.
        config_overrides: Extra `TrainConfig` fields.
        fit_overrides: Extra keyword arguments of `fit`.

    Returns:
        (`Side`, the `FitOutcome`).
    """
    from siamese_core.config import TrainConfig
    from siamese_core.evaluation import best_accuracy_threshold, evaluate_distances, metrics_at_threshold
    from siamese_core.inference import predict_distances
    from siamese_core.pipeline import fit

    config = TrainConfig(seed=seed, **config_overrides)
    start = time.perf_counter()
    outcome = fit(train, config, **fit_overrides)
    seconds = time.perf_counter() - start
    distances = outcome.bundle.distances(test.left, test.right)
    result = evaluate_distances(distances, test.labels, threshold=outcome.bundle.threshold)
    selection_accuracy = None
    if outcome.selection is not None:  # does the threshold carry over to the refit model?
        chosen_by = predict_distances(outcome.selection.model, test.left, test.right)
        selection_accuracy = metrics_at_threshold(chosen_by, test.labels, outcome.bundle.threshold).accuracy
    best_accuracy, _ = best_accuracy_threshold(distances, test.labels)
    return Side(result.auc, result.at_threshold.accuracy, best_accuracy, seconds, selection_accuracy), outcome


def run_textbook(train, test, seed: int, epochs: int) -> Side:
    """The textbook recipe on all training pairs, scored on the test pairs.

    Inputs are divided by the largest absolute value of the training pairs (the textbook's preprocessing,
    `common.textbook_scale`, with the scale taken from the training pairs only). The accuracy is at the
    threshold of best accuracy on the training pairs, since the recipe has no validation split; the best
    accuracy, at the best threshold on the test pairs, is the one compared with ours. XLA as ours would
    use it (training pairs x epochs >= `XLA_MIN_PAIR_STEPS`).

    Args:
        train: Training pairs.
        test: Test pairs.
        seed: Seed of Keras' weights and shuffling.
        epochs: Epochs of `model.fit`.

    Returns:
        A `Side`.
    """
    import keras

    from siamese_core.evaluation import best_accuracy_threshold, evaluate_distances
    from siamese_core.training import XLA_MIN_PAIR_STEPS

    scale = max(float(np.abs(train.left).max()), float(np.abs(train.right).max())) or 1.0
    left, right = train.left / scale, train.right / scale
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = build_textbook_model(train.n_features, jit_compile=train.n_pairs * epochs >= XLA_MIN_PAIR_STEPS)
    model.fit([left, right], train.labels, batch_size=128, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start

    def distances(a, b):
        return np.asarray(model.predict([a, b], batch_size=PREDICT_BATCH, verbose=0)).reshape(-1)

    _, threshold = best_accuracy_threshold(distances(left, right), train.labels)
    test_distances = distances(test.left / scale, test.right / scale)
    result = evaluate_distances(test_distances, test.labels, threshold=threshold)
    best_accuracy, _ = best_accuracy_threshold(test_distances, test.labels)
    return Side(result.auc, result.at_threshold.accuracy, best_accuracy, seconds)


def warm_up(seed: int) -> None:
    """Train both sides once on a tiny set and compile one XLA function, so TensorFlow's and XLA's
    one-time start-up is in neither clock."""
    import tensorflow as tf

    from siamese_core.config import TrainConfig
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet
    from siamese_core.pipeline import fit

    rng = np.random.default_rng(seed)
    classes = np.repeat(np.arange(4), 30).astype(str)
    features = (rng.normal(size=(120, 8)) + np.repeat(np.eye(4, 8) * 3, 30, axis=0)).astype(np.float32)
    pairs = make_pairs(SampleSet(features, classes, [f"f{i}" for i in range(8)]), seed=seed)
    fit(pairs, TrainConfig(seed=seed, epochs=1))
    run_textbook(pairs, pairs, seed, epochs=1)
    # Neither side compiles with XLA on so little work; the first XLA compilation in a process also
    # loads XLA's compiler, which whichever side compiled first in a row would otherwise pay alone.
    tf.function(lambda x: tf.matmul(x, x), jit_compile=True)(tf.ones((4, 4))).numpy()


def save_pair_csv(pairs, path: Path) -> None:
    """Write pairs as a wide pair CSV: label, a_f0.., b_f0.. (0 similar, 1 dissimilar)."""
    import pandas as pd

    width = pairs.n_features
    columns = {"label": pairs.labels.astype(np.int64)}
    columns.update({f"a_f{i}": pairs.left[:, i] for i in range(width)})
    columns.update({f"b_f{i}": pairs.right[:, i] for i in range(width)})
    pd.DataFrame(columns).to_csv(path, index=False)


def measure(
    data: DataSet,
    pairs_per_sample: int,
    args: argparse.Namespace,
    config: dict,
    fit_options: dict,
    textbook_first: bool = False,
) -> Row:
    """Split, pair, train both sides and score them on the test pairs.

    Args:
        data: The data set.
        pairs_per_sample: k, pairs anchored on each sample.
        args: The parsed command line.
        config: `TrainConfig` overrides.
        fit_options: `fit` keyword overrides.
        textbook_first: Train the textbook before ours on this row.

    Returns:
        The table row.
    """
    from siamese_core.pairing import make_pairs

    train_samples, test_samples = split_samples_in_halves(data, args.seed)
    train = make_pairs(train_samples, pairs_per_sample=pairs_per_sample, seed=args.seed)
    test = make_pairs(test_samples, pairs_per_sample=pairs_per_sample, seed=args.seed + 1)
    if args.save_pairs:
        folder = Path(args.save_pairs)
        folder.mkdir(parents=True, exist_ok=True)
        save_pair_csv(train, folder / f"{data.name}_k{pairs_per_sample}_train.csv")
        save_pair_csv(test, folder / f"{data.name}_k{pairs_per_sample}_test.csv")
    if textbook_first:
        textbook = run_textbook(train, test, args.seed, args.textbook_epochs)
    ours, outcome = run_ours(train, test, args.seed, config, fit_options)
    if not textbook_first:
        textbook = run_textbook(train, test, args.seed, args.textbook_epochs)
    return Row(
        name=data.name,
        pairs_per_sample=pairs_per_sample,
        train_samples=train_samples.n_samples,
        test_samples=test_samples.n_samples,
        train_pairs=train.n_pairs,
        test_pairs=test.n_pairs,
        final_pairs=outcome.final_pairs,
        ours=ours,
        textbook=textbook,
        splits=outcome.describe_splits(),
        large=data.large,
        first="textbook" if textbook_first else "ours",
    )


COLUMNS = (
    "data set",
    "k",
    "samples train/test",
    "training pairs",
    "test pairs",
    "pairs of our final model",
    "AUC ours",
    "AUC textbook",
    "best accuracy ours",
    "best accuracy textbook",
    "accuracy ours at its saved threshold",
    "accuracy of our selection model at that threshold",
    "accuracy textbook at its training-pairs threshold",
    "first",
    "s ours",
    "s textbook",
    "time ours/textbook",
)


def print_header() -> None:
    """The Markdown table's header."""
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * len(COLUMNS))


def print_row(row: Row) -> None:
    """One line of the Markdown table (printed as soon as the row is measured)."""
    cells = (
        row.name,
        str(row.pairs_per_sample),
        f"{row.train_samples:,}/{row.test_samples:,}",
        f"{row.train_pairs:,}",
        f"{row.test_pairs:,}",
        f"{row.final_pairs:,}",
        f"{row.ours.auc:.4f}",
        f"{row.textbook.auc:.4f}",
        f"{row.ours.best_accuracy:.2%}",
        f"{row.textbook.best_accuracy:.2%}",
        f"{row.ours.accuracy:.2%}",
        "-" if row.ours.selection_accuracy is None else f"{row.ours.selection_accuracy:.2%}",
        f"{row.textbook.accuracy:.2%}",
        row.first,
        f"{row.ours.seconds:.1f}",
        f"{row.textbook.seconds:.1f}",
        f"{row.ours.seconds / row.textbook.seconds:.2f}",
    )
    print("| " + " | ".join(cells) + " |", flush=True)


def print_summary(rows: list[Row]) -> None:
    """Splits per row, the means, and the time ratio last (`RATIO ...`, as `common.report` prints it)."""
    print()
    print("Splits `fit` made of the training pairs:")
    for row in rows:
        print(f"  {row.name} k={row.pairs_per_sample}: {row.splits}")
    print()
    n = len(rows)
    print(
        f"mean AUC ours {np.mean([r.ours.auc for r in rows]):.4f} "
        f"vs textbook {np.mean([r.textbook.auc for r in rows]):.4f}"
    )
    print(
        f"mean accuracy, each at its best threshold on the test pairs: ours "
        f"{np.mean([r.ours.best_accuracy for r in rows]):.2%} vs textbook "
        f"{np.mean([r.textbook.best_accuracy for r in rows]):.2%}"
    )
    print(f"rows where ours >= textbook AUC: {sum(r.ours.auc >= r.textbook.auc for r in rows)} of {n}")
    print(
        "rows where ours >= textbook accuracy (each at its best threshold on the test pairs): "
        f"{sum(r.ours.best_accuracy >= r.textbook.best_accuracy for r in rows)} of {n}"
    )
    print(
        f"not compared (thresholds from different pairs): mean accuracy ours at its saved threshold "
        f"{np.mean([r.ours.accuracy for r in rows]):.2%}, textbook at its training-pairs threshold "
        f"{np.mean([r.textbook.accuracy for r in rows]):.2%}"
    )
    refit = [r for r in rows if r.ours.selection_accuracy is not None]
    carried = sum(r.ours.accuracy >= r.ours.selection_accuracy for r in refit)
    print(
        f"rows where our final model's accuracy >= the selection model's at the saved threshold: {carried} of {len(refit)}"
    )
    timed = [r for r in rows if r.large] or rows
    which = "the large rows" if timed[0].large else f"the {n} rows (total seconds)"
    firsts = sorted({r.first for r in timed})
    print(f"first on the timed rows: {', '.join(firsts)}")
    ratio = sum(r.ours.seconds for r in timed) / sum(r.textbook.seconds for r in timed)
    print(f"RATIO training seconds ours / textbook on {which}: {ratio:.2f}")


def parse_assignments(items: list[str], flag: str) -> dict:
    """`key=value` strings as a dict; values parsed as Python literals, else kept as text.

    Raises:
        SystemExit: If an item has no `=`.
    """
    values = {}
    for item in items:
        key, equals, text = item.partition("=")
        if not equals or not key:
            raise SystemExit(f"{flag} takes key=value. Received: {item!r}")
        try:
            values[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[key.strip()] = text
    return values


def data_set_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark on the quality data sets takes: --seed, --rows, --only, --config, --fit."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", choices=("small", "large", "all"), default="all")
    parser.add_argument("--only", help="run the data sets whose name contains this text")
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="TrainConfig field"
    )
    parser.add_argument("--fit", action="append", default=[], metavar="KEY=VALUE", help="keyword of fit")
    return parser


def parse_data_set_options(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, dict, dict, list]:
    """(the arguments, the TrainConfig overrides, the fit overrides, the data sets chosen).

    Raises:
        SystemExit: An override without `=`, or no data set matching --rows and --only.
    """
    args = parser.parse_args()
    config = parse_assignments(args.config, "--config")
    fit_options = parse_assignments(args.fit, "--fit")
    data_sets = load_data_sets(args.rows, args.only)
    if not data_sets:
        raise SystemExit(f"no data set matches --rows {args.rows} --only {args.only}")
    return args, config, fit_options, data_sets


def measured_rows(data_sets: list) -> list[tuple]:
    """(data set, pairs per sample) of every row: the large data set at one k, the small ones at each."""
    return [
        (data, k)
        for data in data_sets
        for k in ((LARGE_PAIRS_PER_SAMPLE,) if data.large else SMALL_PAIRS_PER_SAMPLE)
    ]


def main() -> None:
    parser = data_set_parser(__doc__)
    parser.add_argument(
        "--order",
        choices=("alternate", "ours-first", "textbook-first"),
        default="alternate",
        help="which side trains first on each row (alternate: ours when seed + row number is even)",
    )
    parser.add_argument("--textbook-epochs", type=int, default=20)
    parser.add_argument("--save-pairs", metavar="DIR", help="also write the pairs as wide pair CSVs here")
    args, config, fit_options, data_sets = parse_data_set_options(parser)
    # Each row's textbook model traces its own predict function, which TensorFlow warns about.
    quiet_tensorflow().get_logger().setLevel("ERROR")
    from siamese_core.training import XLA_MIN_PAIR_STEPS

    warm_up(args.seed)
    print(f"== quality on unseen samples, ours vs the textbook recipe ({machine()})")
    print(f"seed {args.seed}; our overrides: config {config or 'none'}, fit {fit_options or 'none'}")
    print(
        f"textbook: {args.textbook_epochs} epochs, batch 128, steps_per_execution={TEXTBOOK_STEPS_PER_EXECUTION}, "
        f"jit_compile=True when training pairs x epochs >= {XLA_MIN_PAIR_STEPS:,} (the rule ours uses)"
    )
    print("accuracy compared with each model at its best threshold on the test pairs; order: " + args.order)
    print()
    print_header()
    rows = []
    for data, k in measured_rows(data_sets):
        if args.order == "alternate":
            textbook_first = (args.seed + len(rows)) % 2 == 1
        else:
            textbook_first = args.order == "textbook-first"
        rows.append(measure(data, k, args, config, fit_options, textbook_first))
        print_row(rows[-1])
    print_summary(rows)


if __name__ == "__main__":
    main()
